import type { Readable, Writable } from 'node:stream'

/** Where a command reads and writes; tests pass their own. */
export interface CliIO {
  stdin: Readable
  stdout: Writable
  stderr: Writable
  env: NodeJS.ProcessEnv
}

/** Exit codes scripts can rely on. */
export const EXIT = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  /** Not logged in, or the login expired or was revoked: run `anthropic-oauth login`. */
  NOT_LOGGED_IN: 3,
  /** A temporary failure (rate limit, server error, network): try again later; the login is fine. */
  TEMPORARY: 4,
  /** The API refused the subscription token by policy (`OAUTH_POLICY_*`): the login is fine; see Anthropic's terms. */
  POLICY: 5,
} as const

/** A spinner on stderr while waiting on the network; a single line when stderr is not a terminal. */
export async function withSpinner<T>(io: CliIO, label: string, work: () => Promise<T>): Promise<T> {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true
  if (!tty) {
    io.stderr.write(`${label}…\n`)
    return work()
  }
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
  let i = 0
  const timer = setInterval(() => io.stderr.write(`\r${frames[i++ % frames.length]} ${label}…`), 80)
  try {
    return await work()
  } finally {
    clearInterval(timer)
    io.stderr.write('\r\x1b[2K')
  }
}

/** "in 7 h 59 min", "3 min ago", "in 364 days". */
export function inWords(ms: number): string {
  const abs = Math.abs(ms)
  const minutes = Math.round(abs / 60_000)
  const text =
    abs < 60_000
      ? `${Math.max(1, Math.round(abs / 1000))} s`
      : minutes < 60
        ? `${minutes} min`
        : abs < 2 * 86_400_000
          ? `${Math.floor(minutes / 60)} h ${minutes % 60} min`
          : `${Math.floor(abs / 86_400_000)} days`
  return ms >= 0 ? `in ${text}` : `${text} ago`
}

/** `████████░░░░░░░░░░░░  42%`: a usage bar of 20 cells, clamped to 0–100 whatever the server says. */
export function usageBar(percent: number, cells = 20): string {
  const clamped = Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 0))
  const full = Math.round((clamped / 100) * cells)
  return `${'█'.repeat(full)}${'░'.repeat(cells - full)} ${`${Math.round(clamped)}%`.padStart(4)}`
}
