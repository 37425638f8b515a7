import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './node-script.js'

const run = promisify(execFile)

export interface PostgresServer {
  port: number
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: trust authentication, loopback only. */
  url: string
  /** Stops the server (a fast shutdown: sessions are cut, committed data stays). */
  stop(): Promise<void>
  /** Starts it again on the same port and data folder, after `stop()`. */
  start(): Promise<void>
  /** Stops it once its sessions have closed (within 5 s), and removes its folder. */
  destroy(): Promise<void>
}

/** Debian keeps the server programs out of PATH, under /usr/lib/postgresql/<major>/bin. */
function serverBinDir(): string {
  const fromEnv = process.env.OAUTH_PG_BINDIR
  if (fromEnv) return fromEnv
  const root = '/usr/lib/postgresql'
  const majors = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'bin/initdb'))) : []
  majors.sort((a, b) => Number(b) - Number(a))
  if (majors[0]) return join(root, majors[0], 'bin')
  throw new Error('PostgreSQL server programs not found (initdb under /usr/lib/postgresql/<major>/bin). Install them: apt-get install -y postgresql')
}

/** PostgreSQL refuses to run as root; as root, the throwaway cluster belongs to Debian's `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'))
  if (!line) throw new Error('Running as root, and there is no `postgres` user to run PostgreSQL as (apt-get install -y postgresql creates it).')
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

/**
 * A throwaway PostgreSQL server on 127.0.0.1: `initdb` in a temporary folder (trust
 * authentication, no fsync: a test cluster) and `postgres` on a free port. `stop()` keeps the
 * data, so `start()` brings the same cluster back (a restart); `destroy()` stops it and removes
 * the folder. Needs Debian's `postgresql` package.
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = serverBinDir()
  const user = runAs()
  const dir = mkdtempSync(join(tmpdir(), 'oauth-pg-'))
  if (user) chownSync(dir, user.uid, user.gid)
  const data = join(dir, 'data')
  const as = user ? { uid: user.uid, gid: user.gid } : {}
  await run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], { ...as, env: { ...process.env, LC_ALL: 'C' } })
  const port = await freePort()
  let child: ChildProcess | undefined

  const ready = async () => {
    try {
      await run(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-t', '1'])
      return true
    } catch {
      return false
    }
  }
  const start = async () => {
    const server = spawn(
      join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300', '-c', 'log_min_messages=fatal'],
      { ...as, stdio: 'ignore' },
    )
    child = server
    const exited = new Promise<never>((_, reject) => server.once('exit', (code) => reject(new Error(`postgres exited with ${code} before it answered`))))
    exited.catch(() => undefined)
    const deadline = Date.now() + 20_000
    while (!(await Promise.race([ready(), exited]))) {
      if (Date.now() > deadline) throw new Error('PostgreSQL did not answer within 20 s')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  // SIGINT: a fast shutdown, which ends every session (each told 57P01); SIGTERM: a smart one,
  // which waits for the sessions to close first (a pool just ended closes its connections a
  // moment after end() resolves, and a client told 57P01 then would throw it unhandled).
  const stop = (signal: 'SIGINT' | 'SIGTERM' = 'SIGINT') =>
    new Promise<void>((resolve) => {
      const server = child
      if (!server || server.exitCode !== null || server.signalCode !== null) return resolve()
      const fast = signal === 'SIGTERM' ? setTimeout(() => server.kill('SIGINT'), 5_000) : undefined
      server.once('exit', () => (clearTimeout(fast), resolve()))
      server.kill(signal)
    })
  await start()
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop: () => stop('SIGINT'),
    destroy: async () => {
      await stop('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
