// Many logins in one process, against a real rotating OAuth server (oidc-provider).
import { ERR_INVALID_ARG_VALUE, type OAuthTokens, type TokenStore, sleep } from '@oauth/core'
import { MemoryTokenStore } from '@oauth/storage-memory'
import { loginAt, startAuthorizationServer, type AuthorizationServer } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LoginPool } from '../src/index.js'

let oidc: AuthorizationServer
beforeAll(async () => {
  oidc = await startAuthorizationServer({ accessTokenTtl: 60 })
}, 30_000)
afterAll(async () => {
  await oidc.close()
})

/** `count` real logins, each in a store of its own, all expired. */
async function expiredLogins(count: number, prefix: string): Promise<Map<string, MemoryTokenStore>> {
  const stores = new Map<string, MemoryTokenStore>()
  for (let i = 0; i < count; i++) {
    const tokens: OAuthTokens = { ...(await loginAt(oidc.config, (url) => oidc.authorize(url))), expiresAt: Date.now() - 1_000 }
    stores.set(`${prefix}:${i}`, new MemoryTokenStore({ tokens }))
  }
  return stores
}

describe('LoginPool', () => {
  it('50 callers over 20 expired logins at once: exactly one refresh per login, each caller gets its own login’s token', async () => {
    const stores = await expiredLogins(20, 'burst')
    const keys = [...stores.keys()]
    const pool = new LoginPool({ oauthConfig: oidc.config, store: (key) => stores.get(key)! })
    const grants = oidc.events.refreshGrants
    const calls = Array.from({ length: 50 * 4 }, (_, i) => keys[(i * 7) % keys.length]!)
    const tokens = await Promise.all(calls.map((key) => pool.getAccessToken(key)))
    expect(oidc.events.refreshGrants - grants).toBe(keys.length)
    expect(oidc.events.errors).toEqual([])
    for (const [i, key] of calls.entries()) expect(tokens[i]).toBe((await stores.get(key)!.load())!.accessToken)
    expect(new Set(tokens).size).toBe(keys.length)
    expect(pool.size).toBe(keys.length)
    await pool.close()
  })

  it('drops a manager idle for idleMs; the next call reads the store again, with no refresh', async () => {
    const stores = await expiredLogins(2, 'idle')
    const made: string[] = []
    const pool = new LoginPool({ oauthConfig: oidc.config, idleMs: 100, store: (key) => (made.push(key), stores.get(key)!) })
    const first = await pool.getAccessToken('idle:0')
    await pool.getAccessToken('idle:1')
    expect(pool.size).toBe(2)
    const deadline = Date.now() + 5_000
    while (pool.size > 0 && Date.now() < deadline) await sleep(20)
    expect(pool.size).toBe(0)
    const grants = oidc.events.refreshGrants
    expect(await pool.getAccessToken('idle:0')).toBe(first)
    expect(oidc.events.refreshGrants).toBe(grants)
    expect(made).toEqual(['idle:0', 'idle:1', 'idle:0'])
    await pool.close()
  })

  it('keeps at most maxManagers, dropping the least recently used', async () => {
    const stores = await expiredLogins(3, 'lru')
    const pool = new LoginPool({ oauthConfig: oidc.config, maxManagers: 2, store: (key) => stores.get(key)! })
    const a = pool.manager('lru:0')
    pool.manager('lru:1')
    pool.manager('lru:0') // used again: lru:1 is now the oldest
    pool.manager('lru:2')
    expect(pool.size).toBe(2)
    expect(pool.manager('lru:0')).toBe(a)
    expect(pool.size).toBe(2)
    await pool.close()
  })

  it('stops listening to the stores of the managers it drops', async () => {
    let listening = 0
    const inner = new MemoryTokenStore()
    const counting = (): TokenStore => ({
      name: 'counting',
      load: () => inner.load(),
      save: (t) => inner.save(t),
      clear: () => inner.clear(),
      exists: () => inner.exists(),
      subscribe: () => {
        listening++
        return () => void listening--
      },
    })
    const pool = new LoginPool({ oauthConfig: oidc.config, maxManagers: 3, store: counting })
    for (let i = 0; i < 10; i++) pool.manager(`k:${i}`)
    await sleep(10)
    expect(listening).toBe(3)
    await pool.close()
    expect(listening).toBe(0)
    expect(() => pool.manager('k:0')).toThrow(/closed/)
  })

  it('refuses what is not a store function, a bad limit, or an empty key', () => {
    expect(() => new LoginPool({ oauthConfig: oidc.config, store: undefined as never })).toThrow(/function from a login key/)
    expect(() => new LoginPool({ oauthConfig: oidc.config, store: () => new MemoryTokenStore(), idleMs: 0 })).toThrow(expect.objectContaining({ code: ERR_INVALID_ARG_VALUE }))
    expect(() => new LoginPool({ oauthConfig: oidc.config, store: () => new MemoryTokenStore() }).manager('')).toThrow(/non-empty/)
    expect(JSON.stringify(new LoginPool({ oauthConfig: oidc.config, store: () => new MemoryTokenStore() }))).toBe('{"logins":0}')
  })
})
