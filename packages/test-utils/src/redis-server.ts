import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './node-script.js'

export interface RedisServer {
  port: number
  url: string
  /** Stops the server (SIGTERM). A persistent server keeps its data for `start()`. */
  stop(): Promise<void>
  /** Starts it again on the same port after `stop()`: a restart. */
  start(): Promise<void>
  /** Stops it and removes its data folder. */
  destroy(): Promise<void>
}

async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'))
    socket.once('data', (d) => (socket.destroy(), resolve(String(d).startsWith('+PONG'))))
    socket.once('error', () => resolve(false))
  })
}

/**
 * A throwaway redis-server on 127.0.0.1, stopped by `stop()` or `destroy()`. Without persistence
 * by default; `persistent: true` keeps every write in an append-only file in a temporary folder
 * (fsync'd before Redis answers), so that `stop()` then `start()` is a restart that loses
 * nothing, as a production Redis with AOF. Needs Debian's redis-server.
 */
export async function startRedisServer(options: { persistent?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort()
  const dir = options.persistent ? mkdtempSync(join(tmpdir(), 'oauth-redis-')) : undefined
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '']
  args.push(...(dir ? ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']))
  let child: ChildProcess | undefined

  const start = async () => {
    let server: ChildProcess
    try {
      server = spawn('redis-server', args, { stdio: 'ignore' })
    } catch (err) {
      throw new Error(`redis-server could not start (apt-get install -y redis-server): ${err}`)
    }
    child = server
    const failed = new Promise<never>((_, reject) => server.once('error', (err) => reject(new Error(`redis-server is missing (apt-get install -y redis-server): ${err.message}`))))
    const deadline = Date.now() + 10_000
    while (!(await Promise.race([answersPing(port), failed]))) {
      if (server.exitCode !== null) throw new Error(`redis-server exited with code ${server.exitCode} while starting`)
      if (Date.now() > deadline) throw new Error('redis-server did not answer within 10 s')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  const stop = () =>
    new Promise<void>((resolve) => {
      const server = child
      if (!server || server.exitCode !== null || server.signalCode !== null) return resolve()
      server.once('exit', () => resolve())
      server.kill('SIGTERM')
    })

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    destroy: async () => {
      await stop()
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}
