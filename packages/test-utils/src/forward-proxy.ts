// A real forward proxy for the tests: tinyproxy (Debian's package) on 127.0.0.1, logging every
// request it forwards, including the CONNECT tunnels it opens for https.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './node-script.js'

export interface ForwardProxy {
  /** `http://127.0.0.1:<port>`, for HTTPS_PROXY / HTTP_PROXY. */
  url: string
  /** The request lines it logged (`CONNECT 127.0.0.1:443`, `GET http://…`), oldest first. */
  requests(): string[]
  stop(): Promise<void>
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })

export async function startForwardProxy(): Promise<ForwardProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'tinyproxy-'))
  const port = await freePort()
  const log = join(dir, 'tinyproxy.log')
  // No ConnectPort line: CONNECT is allowed to any port (the test servers' ports are random).
  writeFileSync(join(dir, 'tinyproxy.conf'), `Port ${port}\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 30\nLogFile "${log}"\nLogLevel Connect\nMaxClients 50\n`)
  let child: ChildProcess
  try {
    child = spawn('tinyproxy', ['-d', '-c', join(dir, 'tinyproxy.conf')], { stdio: 'ignore' })
  } catch (err) {
    throw new Error(`tinyproxy could not start (apt-get install -y tinyproxy): ${err}`)
  }
  const failed = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`tinyproxy is missing (apt-get install -y tinyproxy): ${err.message}`))))
  failed.catch(() => undefined)
  const deadline = Date.now() + 10_000
  while (!(await Promise.race([listening(port), failed]))) {
    if (Date.now() > deadline) throw new Error('tinyproxy did not listen within 10 s')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => {
      let text = ''
      try {
        text = readFileSync(log, 'utf8')
      } catch {
        return []
      }
      return [...text.matchAll(/Request \(file descriptor \d+\): (\S+ \S+)/g)].map((m) => m[1]!)
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => (rmSync(dir, { recursive: true, force: true }), resolve())
        if (child.exitCode !== null) return done()
        child.once('exit', done)
        child.kill('SIGTERM')
      }),
  }
}

export interface LocalCa {
  /** The CA certificate (PEM file), for NODE_EXTRA_CA_CERTS. */
  caFile: string
  /** A server certificate and key for 127.0.0.1 and localhost, signed by the CA. */
  cert: string
  key: string
  remove(): void
}

/** A private CA and a server certificate it signed, made with openssl: trusted by nobody until NODE_EXTRA_CA_CERTS names it. */
export function makeLocalCa(): LocalCa {
  const dir = mkdtempSync(join(tmpdir(), 'local-ca-'))
  const run = (args: string[]) => {
    const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
    if (result.status !== 0) throw new Error(`openssl ${args[0]} failed (apt-get install -y openssl): ${result.stderr || result.error}`)
  }
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Test Corporate CA'])
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'])
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf'])
  return {
    caFile: join(dir, 'ca.pem'),
    cert: readFileSync(join(dir, 'server.pem'), 'utf8'),
    key: readFileSync(join(dir, 'server.key'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
