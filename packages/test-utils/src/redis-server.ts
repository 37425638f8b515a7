import { spawn, type ChildProcess } from 'node:child_process'
import { createConnection } from 'node:net'
import { freePort } from './node-script.js'

export interface RedisServer {
  port: number
  url: string
  stop(): Promise<void>
}

async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'))
    socket.once('data', (d) => (socket.destroy(), resolve(String(d).startsWith('+PONG'))))
    socket.once('error', () => resolve(false))
  })
}

/** A throwaway redis-server on 127.0.0.1 (no persistence), stopped by `stop()`. Needs Debian's redis-server. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess
  try {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  } catch (err) {
    throw new Error(`redis-server could not start (apt-get install -y redis-server): ${err}`)
  }
  const failed = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`redis-server is missing (apt-get install -y redis-server): ${err.message}`))))
  const deadline = Date.now() + 10_000
  while (!(await Promise.race([answersPing(port), failed]))) {
    if (Date.now() > deadline) throw new Error('redis-server did not answer within 10 s')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
