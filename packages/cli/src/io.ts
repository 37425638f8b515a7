import type { Readable, Writable } from 'node:stream'
import {
  OAUTH_NETWORK_ERROR,
  OAUTH_RATE_LIMITED,
  OAUTH_RESPONSE_LOST,
  OAUTH_SERVER_ERROR,
  OAUTH_TIMEOUT,
  TOKEN_STORE_LOCK_TIMEOUT,
  TOKEN_STORE_UNAVAILABLE,
} from '@oauth/core'

/** Where a command reads and writes; tests pass their own. */
export interface CliIO {
  stdin: Readable
  stdout: Writable
  stderr: Writable
  env: NodeJS.ProcessEnv
}

// Characters a terminal obeys: C0 and C1 controls (ESC starts escape sequences), and the Unicode
// line separators and bidirectional overrides (U+202E shows text reversed).
const TERMINAL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
// JSON.stringify escapes C0 in strings, and its own newlines are layout: the rest goes as \uXXXX.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** A line for the terminal holding text from the network (an email, an organization name): what a terminal would obey becomes a space. */
export const shown = (line: string): string => line.replace(TERMINAL_UNSAFE, ' ')

/** JSON for stdout, with what JSON leaves raw but a terminal obeys (C1 controls, bidi overrides) escaped. */
export const jsonOut = (value: unknown, space = 2): string =>
  `${JSON.stringify(value, null, space).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`

/** Failures that say nothing about the login (exit 4, try again): a rate limit, a server or network down, a lost answer, a busy store. */
export const TEMPORARY: ReadonlySet<string> = new Set([OAUTH_RATE_LIMITED, OAUTH_SERVER_ERROR, OAUTH_NETWORK_ERROR, OAUTH_TIMEOUT, OAUTH_RESPONSE_LOST, TOKEN_STORE_LOCK_TIMEOUT, TOKEN_STORE_UNAVAILABLE])

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
