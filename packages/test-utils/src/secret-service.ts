import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface SecretService {
  /** The private session bus: set as DBUS_SESSION_BUS_ADDRESS for clients. */
  address: string
  env: NodeJS.ProcessEnv
  stop(): Promise<void>
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

/**
 * A real Secret Service for tests: a private D-Bus session bus and an unlocked
 * gnome-keyring on it, with a throwaway HOME. Needs Debian's dbus-daemon and gnome-keyring.
 */
export async function startSecretService(): Promise<SecretService> {
  const home = mkdtempSync(join(tmpdir(), 'oauth-keyring-'))
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_RUNTIME_DIR: home }
  const bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], { env, stdio: ['ignore', 'pipe', 'ignore'] })
  bus.once('error', () => undefined)
  const address = await new Promise<string>((resolve, reject) => {
    bus.once('error', (err) => reject(new Error(`dbus-daemon is missing (apt-get install -y dbus-daemon): ${err.message}`)))
    bus.stdout!.once('data', (d: Buffer) => resolve(String(d).trim().split('\n')[0]!))
  })
  env.DBUS_SESSION_BUS_ADDRESS = address
  const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], { env, stdio: ['pipe', 'ignore', 'ignore'] })
  keyring.once('error', () => undefined)
  keyring.stdin!.end('ci') // the login keyring's password, read from stdin by --unlock
  // Ready once the keyring owns org.freedesktop.secrets on the bus.
  const deadline = Date.now() + 15_000
  for (;;) {
    const owned = await new Promise<boolean>((resolve) => {
      const q = spawn('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'], { env })
      let out = ''
      q.stdout.on('data', (d: Buffer) => (out += d))
      q.once('error', () => resolve(false))
      q.once('exit', () => resolve(out.includes('boolean true')))
    })
    if (owned) break
    if (Date.now() > deadline) {
      await Promise.all([stopChild(keyring), stopChild(bus)])
      throw new Error('gnome-keyring did not start a Secret Service within 15 s (apt-get install -y gnome-keyring dbus-daemon)')
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    address,
    env,
    stop: async () => {
      await stopChild(keyring)
      await stopChild(bus)
      rmSync(home, { recursive: true, force: true })
    },
  }
}
