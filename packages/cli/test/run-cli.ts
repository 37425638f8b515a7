// Running the CLI as a new user does: a child process, its prompt answered through stdin.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { AnthropicStandIn } from '@oauth/test-utils'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv
  /** Sees stderr as it grows and may answer on stdin. */
  onStderr?: (text: string, answer: (line: string) => void) => void
}

/** Runs the bundled CLI `bin` with `args`, without a display (so no browser opens). */
export function runCli(bin: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '', ...options.env }, cwd: packageDir })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => {
      stderr += d
      options.onStderr?.(stderr, (line) => child.stdin.write(`${line}\n`))
    })
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

export const urlIn = (text: string) => text.match(/https?:\/\/\S+\/(oauth\/authorize|auth)\?\S+/)?.[0]

/** The user at the preset's prompt: approves on the stand-in's page (as `account` when it lets them choose) and pastes the `code#state` it shows, once. */
export function pasteCode(standIn: AnthropicStandIn, choice?: { account?: string }) {
  let answered = false
  return (text: string, answer: (line: string) => void) => {
    const url = urlIn(text)
    if (!url || answered) return
    answered = true
    void standIn.approve(url, choice).then(answer)
  }
}
