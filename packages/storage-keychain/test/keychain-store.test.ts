// Against a real Secret Service: gnome-keyring on a private D-Bus session, started here.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TOKEN_STORE_UNAVAILABLE } from '@oauth/core'
import { AsyncEntry } from '@napi-rs/keyring'
import { bundleNodeScript, describeTokenStoreConformance, runNodeScript, sampleTokens, startSecretService, type SecretService } from '@oauth/test-utils'
import { MemoryTokenStore } from '@oauth/storage-memory'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeychainTokenStore } from '../src/index.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
let secrets: SecretService
const savedAddress = process.env.DBUS_SESSION_BUS_ADDRESS
let n = 0

beforeAll(async () => {
  secrets = await startSecretService()
  // The native binding connects to the bus named here.
  process.env.DBUS_SESSION_BUS_ADDRESS = secrets.address
}, 30_000)
afterAll(async () => {
  if (savedAddress === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS
  else process.env.DBUS_SESSION_BUS_ADDRESS = savedAddress
  await secrets?.stop()
})

describeTokenStoreConformance(
  'KeychainTokenStore (Secret Service)',
  async () => {
    const account = `account-${++n}`
    const store = new KeychainTokenStore({ service: 'oauth-test', account })
    // Another tool's item under the same name, or a torn write: the keychain holds it, we cannot read it.
    const corrupt = async () => void (await new AsyncEntry('oauth-test', account, { linux: { store: 'secret-service' } }).setPassword('not json'))
    return { store, sibling: () => new KeychainTokenStore({ service: 'oauth-test', account }), cleanup: () => store.clear(), corrupt }
  },
  { lock: false, shared: true, corruptible: true },
)

describe('KeychainTokenStore', () => {
  it('keeps the item in the Secret Service, where secret-tool finds it', async () => {
    await new KeychainTokenStore({ service: 'oauth-test', account: 'visible' }).save(sampleTokens(1))
    const { stdout } = await runNodeScript('secret-tool', ['search', '--all', 'service', 'oauth-test'], { env: secrets.env })
    expect(stdout).toContain('visible')
  })

  it('uses the lock it is given', async () => {
    const lock = new MemoryTokenStore()
    const store = new KeychainTokenStore({ service: 'oauth-test', account: 'locked', lock: { using: lock } })
    expect(await store.lock!(async () => 'held')).toBe('held')
  })

  it('reports a missing Secret Service as TOKEN_STORE_UNAVAILABLE, which composition falls back past', async () => {
    const script = await bundleNodeScript(join(packageDir, 'test/fixtures/load.ts'), packageDir, ['@napi-rs/keyring'])
    const { stdout } = await runNodeScript(process.execPath, [script], { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' } })
    const { alone, composed } = JSON.parse(stdout)
    expect(alone.code).toBe(TOKEN_STORE_UNAVAILABLE)
    expect(alone.message).toMatch(/Secret Service/)
    expect(composed).toBe('from-fallback')
  }, 30_000)
})
