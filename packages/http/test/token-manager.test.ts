import { inspect } from 'node:util'
import { OAUTH_INVALID_GRANT, OAUTH_NOT_LOGGED_IN, OAUTH_RATE_LIMITED, TOKEN_STORE_WRITE_FAILED, type OAuthConfig, type OAuthTokens, type TokenStore } from '@oauth/core'
import { MemoryTokenStore } from '@oauth/storage-memory'
import { delay, http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createOAuthFetch, TokenManager } from '../src/index.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

let clock = 1_800_000_000_000
const now = () => clock
const fast = { retry: { baseDelayMs: 1, maxDelayMs: 20 } }
/** A server with a JSON token endpoint (as Anthropic's): the manager is the same for every server. */
const SERVER: OAuthConfig = {
  clientId: 'test-cli',
  authorizeUrl: 'https://auth.example.com/authorize',
  tokenUrl: 'https://auth.example.com/v1/oauth/token',
  redirectUri: 'http://127.0.0.1/callback',
  tokenRequestFormat: 'json',
}

function tokens(name: string, expiresInMs: number): OAuthTokens {
  return { accessToken: `at-${name}`, refreshToken: `rt-${name}`, expiresAt: clock + expiresInMs, tokenType: 'Bearer', scope: 'user:inference', account: { uuid: 'a', emailAddress: 'dev@example.com' } }
}

/** A token endpoint that rotates: each refresh returns at-N / rt-N and records the refresh token it was sent. */
function rotatingEndpoint(options: { wait?: number } = {}) {
  const used: string[] = []
  server.use(
    http.post(SERVER.tokenUrl, async ({ request }) => {
      const body = (await request.json()) as { refresh_token: string }
      used.push(body.refresh_token)
      if (options.wait) await delay(options.wait)
      const n = used.length
      return HttpResponse.json({ access_token: `at-${n}`, refresh_token: `rt-${n}`, expires_in: 3600, token_type: 'Bearer' })
    }),
  )
  return used
}

describe('TokenManager', () => {
  it('serves a fresh token without any request', async () => {
    const used = rotatingEndpoint()
    const manager = new TokenManager({ oauthConfig: SERVER, oauthTokens: tokens('fresh', 3_600_000), now })
    expect(await manager.getAccessToken()).toBe('at-fresh')
    expect(used).toEqual([])
  })

  it('refreshes once for 200 concurrent callers on an expired token', async () => {
    const used = rotatingEndpoint({ wait: 50 })
    const store = new MemoryTokenStore({ tokens: tokens('old', -1000) })
    const manager = new TokenManager({ oauthConfig: SERVER, tokenStorage: store, now, oauthRequestOptions: fast })
    const results = await Promise.all(Array.from({ length: 200 }, () => manager.getAccessToken()))
    expect(used).toEqual(['rt-old'])
    expect(new Set(results)).toEqual(new Set(['at-1']))
    expect(manager.refreshCount).toBe(1)
  })

  it('persists the refreshed tokens before handing them out, keeping account details', async () => {
    rotatingEndpoint()
    const store = new MemoryTokenStore({ tokens: tokens('old', -1000) })
    const manager = new TokenManager({ oauthConfig: SERVER, tokenStorage: store, now, oauthRequestOptions: fast })
    expect(await manager.getAccessToken()).toBe('at-1')
    expect(await store.load()).toMatchObject({ accessToken: 'at-1', refreshToken: 'rt-1', account: { emailAddress: 'dev@example.com' } })
  })

  it('serves a token still valid for more than 30 s at once, refreshing once in the background', async () => {
    const used = rotatingEndpoint({ wait: 30 })
    const manager = new TokenManager({ oauthConfig: SERVER, oauthTokens: tokens('soon', 120_000), now, oauthRequestOptions: fast })
    const first = await Promise.all(Array.from({ length: 20 }, () => manager.getAccessToken()))
    expect(new Set(first)).toEqual(new Set(['at-soon']))
    await expect.poll(() => manager.oauthTokens?.accessToken).toBe('at-1')
    expect(used).toEqual(['rt-soon'])
  })

  it('makes callers wait when the token has 30 s or less left', async () => {
    rotatingEndpoint()
    const manager = new TokenManager({ oauthConfig: SERVER, oauthTokens: tokens('nearly', 20_000), now, oauthRequestOptions: fast })
    expect(await manager.getAccessToken()).toBe('at-1')
  })

  it('logout sticks: an empty store under the lock, after the login was read from it, is a logout; nothing is refreshed or saved', async () => {
    const used = rotatingEndpoint()
    const store = new MemoryTokenStore({ tokens: tokens('old', 120_000) })
    const manager = new TokenManager({ oauthConfig: SERVER, tokenStorage: store, now, oauthRequestOptions: fast })
    expect(await manager.getAccessToken()).toBe('at-old') // read from the store; a background refresh starts
    await manager.settle()
    await store.clear() // another process logs out
    clock += 3_700_000 // the refreshed copy in memory has expired too
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: OAUTH_NOT_LOGGED_IN, message: expect.stringContaining('logged out elsewhere') })
    expect(used).toEqual(['rt-old'])
    expect(await store.load()).toBeNull()
    // Nothing cached: a new login in the store is picked up on the next call.
    await store.save(tokens('new', 3_600_000))
    expect(await manager.getAccessToken()).toBe('at-new')
  })

  it('tokens given in memory for a store that never held them are saved at their first refresh (never saved is not logged out)', async () => {
    const used = rotatingEndpoint()
    const store = new MemoryTokenStore()
    const manager = new TokenManager({ oauthConfig: SERVER, oauthTokens: tokens('given', -1000), tokenStorage: store, now, oauthRequestOptions: fast })
    expect(await manager.getAccessToken()).toBe('at-1')
    expect(used).toEqual(['rt-given'])
    expect(await store.load()).toMatchObject({ accessToken: 'at-1' })
  })

  it('settle() waits for a background refresh and its save', async () => {
    rotatingEndpoint({ wait: 50 })
    const store = new MemoryTokenStore({ tokens: tokens('soon', 120_000) })
    const manager = new TokenManager({ oauthConfig: SERVER, tokenStorage: store, now, oauthRequestOptions: fast })
    expect(await manager.getAccessToken()).toBe('at-soon')
    await manager.settle()
    expect(manager.oauthTokens?.accessToken).toBe('at-1')
    expect(await store.load()).toMatchObject({ accessToken: 'at-1' })
  })

  it('wrong-shaped options are a TypeError naming the expected shape, for the manager and the memory store', () => {
    const store = new MemoryTokenStore()
    expect(() => new TokenManager({ oauthConfig: SERVER, store, tokens: tokens('x', 1000), config: {} } as never)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/TokenManager takes \{ oauthTokens, tokenStorage, .*\}; has no option `store`, `tokens`, `config`/) }),
    )
    expect(() => new TokenManager('tokens' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }))
    expect(() => new MemoryTokenStore(tokens('x', 1000) as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('{ tokens, lock }') }))
  })

  it('uses a token another process already stored instead of refreshing', async () => {
    const used = rotatingEndpoint()
    const store = new MemoryTokenStore({ tokens: tokens('old', -1000) })
    const manager = new TokenManager({ oauthConfig: SERVER, tokenStorage: store, now, oauthRequestOptions: fast })
    await manager.getTokens().catch(() => undefined)
    used.length = 0
    // Another process refreshed meanwhile and stored its result.
    await store.save(tokens('other-process', 3_600_000))
    clock += 4_000_000
    await store.save(tokens('other-process-2', 3_600_000))
    expect(await manager.getAccessToken()).toBe('at-other-process-2')
    expect(used).toEqual([])
  })

  it('keeps the stored tokens when the refresh fails, and reports invalid_grant as "log in again"', async () => {
    server.use(http.post(SERVER.tokenUrl, () => HttpResponse.json({ error: 'invalid_grant' }, { status: 400 })))
    const before = tokens('old', -1000)
    const store = new MemoryTokenStore({ tokens: before })
    const manager = new TokenManager({ oauthConfig: SERVER, tokenStorage: store, now, oauthRequestOptions: fast })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: OAUTH_INVALID_GRANT, message: expect.stringMatching(/log in again/i) })
    expect(await store.load()).toEqual(before)
  })

  it('adopts tokens another holder rotated while its own refresh was refused', async () => {
    const store = new MemoryTokenStore({ tokens: tokens('old', -1000) })
    server.use(
      http.post(SERVER.tokenUrl, async () => {
        // The other process wins the race: it stores rotated tokens, ours is refused.
        await store.save(tokens('winner', 3_600_000))
        return HttpResponse.json({ error: 'invalid_grant' }, { status: 400 })
      }),
    )
    const manager = new TokenManager({ oauthConfig: SERVER, tokenStorage: { ...methodsOf(store), lock: undefined }, now, oauthRequestOptions: fast })
    expect(await manager.getAccessToken()).toBe('at-winner')
  })

  it('reports a rate-limited refresh as a rate limit, never as logged out, and keeps the tokens (with the cooldown beside them)', async () => {
    server.use(http.post(SERVER.tokenUrl, () => HttpResponse.json({ error: { type: 'rate_limit_error', message: 'slow down' } }, { status: 429 })))
    const before = tokens('old', -1000)
    const store = new MemoryTokenStore({ tokens: before })
    const manager = new TokenManager({ oauthConfig: SERVER, tokenStorage: store, now, oauthRequestOptions: { retry: { retries: 1, baseDelayMs: 1 } } })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: OAUTH_RATE_LIMITED })
    // No Retry-After: a minute's cooldown is recorded; the login itself is untouched.
    expect(await store.load()).toEqual({ ...before, refreshNotBefore: clock + 60_000 })
  })

  it('says to log in when there are no tokens, naming the store', async () => {
    const manager = new TokenManager({ oauthConfig: SERVER, tokenStorage: new MemoryTokenStore(), now })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: OAUTH_NOT_LOGGED_IN, message: expect.stringContaining('memory') })
  })

  it('says to log in again when an expired token has no refresh token', async () => {
    const manager = new TokenManager({ oauthConfig: SERVER, oauthTokens: { accessToken: 'at', tokenType: 'Bearer', scope: '', expiresAt: clock - 1 }, now })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: OAUTH_NOT_LOGGED_IN })
  })

  it('keeps refreshed tokens in memory and says so when the store cannot save them', async () => {
    rotatingEndpoint()
    const store = new MemoryTokenStore({ tokens: tokens('old', -1000) })
    const broken: TokenStore = {
      ...methodsOf(store),
      save: async () => {
        throw new Error('disk full')
      },
    }
    const manager = new TokenManager({ oauthConfig: SERVER, tokenStorage: broken, now, oauthRequestOptions: fast })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: TOKEN_STORE_WRITE_FAILED })
    expect(manager.oauthTokens?.accessToken).toBe('at-1')
  })

  it('forced refresh replaces only the token that failed', async () => {
    const used = rotatingEndpoint()
    const manager = new TokenManager({ oauthConfig: SERVER, oauthTokens: tokens('a', 3_600_000), now, oauthRequestOptions: fast })
    const replaced = await manager.refresh({ failedAccessToken: 'at-a' })
    expect(replaced.accessToken).toBe('at-1')
    // A late 401 for the same old token: already replaced, no second refresh.
    expect((await manager.refresh({ failedAccessToken: 'at-a' })).accessToken).toBe('at-1')
    expect(used).toEqual(['rt-a'])
  })

  it('gives the SDK provider shape, and forceRefresh once per failed token', async () => {
    const used = rotatingEndpoint()
    const manager = new TokenManager({ oauthConfig: SERVER, oauthTokens: tokens('p', 3_600_000), now, oauthRequestOptions: fast })
    const provider = manager.provider
    // Reported 180 s early: the SDK's cache asks again 120 s before the end it is told, which is
    // then exactly when the manager's 300 s buffer counts the token as expiring.
    expect(await provider()).toEqual({ token: 'at-p', expiresAt: Math.floor((clock + 3_600_000 - 180_000) / 1000) })
    const forced = await Promise.all([provider({ forceRefresh: true }), provider({ forceRefresh: true }), provider({ forceRefresh: true })])
    expect(forced.map((f) => f.token)).toEqual(['at-1', 'at-1', 'at-1'])
    expect(used).toEqual(['rt-p'])
  })

  it('never shows tokens in JSON.stringify or util.inspect', async () => {
    const manager = new TokenManager({ oauthConfig: SERVER, oauthTokens: tokens('SECRET', 3_600_000), tokenStorage: new MemoryTokenStore({ tokens: tokens('SECRET2', 1) }), now })
    await manager.getAccessToken()
    const shown = `${JSON.stringify(manager)}\n${inspect(manager, { depth: 10, showHidden: true })}\n${JSON.stringify({ manager })}`
    expect(shown).not.toContain('SECRET')
    expect(JSON.parse(JSON.stringify(manager))).toEqual({ store: 'memory', loggedIn: true, expiresAt: new Date(clock + 3_600_000).toISOString() })
  })
})

describe('TokenManager against logouts, logins and empty stores', () => {
  it('an empty manager keeps looking: a login stored after it started is picked up without a restart', async () => {
    const store = new MemoryTokenStore()
    const manager = new TokenManager({ oauthConfig: SERVER, tokenStorage: store, now })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: OAUTH_NOT_LOGGED_IN })
    await store.save(tokens('later', 3_600_000)) // `anthropic-oauth login` in another process
    expect(await manager.getAccessToken()).toBe('at-later')
  })

  it('clear() logs out at once: no later call returns the cleared token', async () => {
    const store = new MemoryTokenStore({ tokens: tokens('loaded', 3_600_000) })
    const manager = new TokenManager({ oauthConfig: SERVER, tokenStorage: store, now })
    expect(await manager.getAccessToken()).toBe('at-loaded')
    await manager.clear()
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: OAUTH_NOT_LOGGED_IN })
    expect(await store.load()).toBeNull()
  })

  it('a logout during a refresh in flight wins: the refresh result is dropped, never saved', async () => {
    const used = rotatingEndpoint({ wait: 100 })
    const store = new MemoryTokenStore({ tokens: tokens('old', -1000) })
    const manager = new TokenManager({ oauthConfig: SERVER, tokenStorage: store, now, oauthRequestOptions: fast })
    const refreshing = manager.getAccessToken()
    await delay(20) // the refresh request is on the wire
    await manager.clear()
    await expect(refreshing).rejects.toMatchObject({ code: OAUTH_NOT_LOGGED_IN })
    expect(used).toEqual(['rt-old'])
    expect(await store.load()).toBeNull()
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: OAUTH_NOT_LOGGED_IN })
  })

  it('a new login during a refresh in flight wins: the refresh result is dropped, the new login is kept', async () => {
    rotatingEndpoint({ wait: 100 })
    const store = new MemoryTokenStore({ tokens: tokens('old', -1000) })
    const manager = new TokenManager({ oauthConfig: SERVER, tokenStorage: store, now, oauthRequestOptions: fast })
    const refreshing = manager.getAccessToken()
    await delay(20)
    await manager.setTokens(tokens('new-login', 3_600_000))
    expect(await refreshing).toBe('at-new-login')
    expect(await store.load()).toMatchObject({ accessToken: 'at-new-login' })
    expect(await manager.getAccessToken()).toBe('at-new-login')
  })

  it('hands out and takes in copies: mutating them changes nothing', async () => {
    const given = tokens('copy', 3_600_000)
    const manager = new TokenManager({ oauthConfig: SERVER, oauthTokens: given, now })
    given.accessToken = 'mutated'
    const out = await manager.getTokens()
    out.accessToken = 'also-mutated'
    out.account!.emailAddress = 'evil@example.com'
    expect(await manager.getTokens()).toMatchObject({ accessToken: 'at-copy', account: { emailAddress: 'dev@example.com' } })
  })
})

describe('createOAuthFetch', () => {
  it('signs requests with the bearer token and drops x-api-key; `prepare` adds to each request and `check` may refuse an answer without a refresh', async () => {
    const used = rotatingEndpoint()
    const seen: Request[] = []
    server.use(
      http.post('https://api.example.com/v1/messages', ({ request }) => {
        seen.push(request.clone())
        return seen.length === 1 ? HttpResponse.json({ ok: true }) : HttpResponse.json({ error: 'policy' }, { status: 400 })
      }),
    )
    const manager = new TokenManager({ oauthConfig: SERVER, oauthTokens: tokens('api', 3_600_000), now })
    const refused = new Error('refused by check')
    const oauthFetch = createOAuthFetch(manager, {
      prepare: (url, headers) => {
        url.searchParams.set('beta', 'true')
        headers.set('x-extra', headers.get('authorization')!)
      },
      check: (response) => {
        if (response.status === 400) throw refused
        return response
      },
    })
    const res = await oauthFetch('https://api.example.com/v1/messages?x=1', {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-api-LEAK', 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    })
    expect(res.status).toBe(200)
    const req = seen[0]!
    expect(req.headers.get('authorization')).toBe('Bearer at-api')
    expect(req.headers.get('x-extra')).toBe('Bearer at-api') // prepare runs after the token is set
    expect(req.headers.has('x-api-key')).toBe(false)
    expect(new URL(req.url).searchParams.get('beta')).toBe('true')
    expect(new URL(req.url).searchParams.get('x')).toBe('1')
    expect(await req.json()).toEqual({ hello: 'world' })
    await expect(oauthFetch('https://api.example.com/v1/messages', { method: 'POST', body: '{}' })).rejects.toBe(refused)
    expect(seen).toHaveLength(2)
    expect(used).toEqual([])
  })

  it('after a 401 refreshes once and retries once with the body intact', async () => {
    const used = rotatingEndpoint()
    const auths: (string | null)[] = []
    const bodies: string[] = []
    server.use(
      http.post('https://api.example.com/v1/messages', async ({ request }) => {
        auths.push(request.headers.get('authorization'))
        bodies.push(await request.text())
        return auths.length === 1 ? HttpResponse.json({ error: 'expired' }, { status: 401 }) : HttpResponse.json({ ok: true })
      }),
    )
    const oauthFetch = createOAuthFetch(new TokenManager({ oauthConfig: SERVER, oauthTokens: tokens('stale', 3_600_000), now, oauthRequestOptions: fast }))
    const res = await oauthFetch('https://api.example.com/v1/messages', { method: 'POST', body: '{"n":1}' })
    expect(res.status).toBe(200)
    expect(auths).toEqual(['Bearer at-stale', 'Bearer at-1'])
    expect(bodies).toEqual(['{"n":1}', '{"n":1}'])
    expect(used).toEqual(['rt-stale'])
  })

  it('returns a second 401 instead of looping', async () => {
    const used = rotatingEndpoint()
    let calls = 0
    server.use(
      http.get('https://api.example.com/v1/models', () => {
        calls++
        return HttpResponse.json({ error: 'nope' }, { status: 401 })
      }),
    )
    const oauthFetch = createOAuthFetch(new TokenManager({ oauthConfig: SERVER, oauthTokens: tokens('x', 3_600_000), now, oauthRequestOptions: fast }))
    expect((await oauthFetch('https://api.example.com/v1/models')).status).toBe(401)
    expect(calls).toBe(2)
    expect(used).toHaveLength(1)
  })

  it('adds only the bearer token for a generic server', async () => {
    const seen: Request[] = []
    server.use(
      http.get('https://api.example.com/me', ({ request }) => {
        seen.push(request)
        return HttpResponse.json({})
      }),
    )
    const manager = new TokenManager({ oauthTokens: tokens('g', 3_600_000), oauthConfig: { clientId: 'c', authorizeUrl: 'https://id.example.com/a', tokenUrl: 'https://id.example.com/t', redirectUri: 'http://127.0.0.1/cb' }, now })
    await createOAuthFetch(manager)('https://api.example.com/me')
    expect(seen[0]!.headers.get('authorization')).toBe('Bearer at-g')
    expect(seen[0]!.headers.has('anthropic-beta')).toBe(false)
    expect(new URL(seen[0]!.url).searchParams.has('beta')).toBe(false)
  })
})

/** The store's methods as a plain object, to override one of them. */
function methodsOf(store: MemoryTokenStore): TokenStore {
  return {
    name: store.name,
    load: () => store.load(),
    save: (t) => store.save(t),
    clear: () => store.clear(),
    exists: () => store.exists(),
    lock: (fn) => store.lock(fn),
  }
}

describe('TokenManager with a store that reports changes by other holders (subscribe)', () => {
  /** One storage shared by two "tabs"; a save or clear through one is announced to the other's listeners. */
  function sharedStorage() {
    const backing = new MemoryTokenStore()
    const listeners = new Map<number, Set<(change: 'saved' | 'cleared') => void>>()
    const tab = (id: number): TokenStore => {
      listeners.set(id, new Set())
      const announce = (change: 'saved' | 'cleared') => {
        for (const [other, set] of listeners) if (other !== id) for (const l of set) l(change)
      }
      return {
        name: `tab ${id}`,
        load: () => backing.load(),
        exists: () => backing.exists(),
        save: async (t) => (await backing.save(t), announce('saved')),
        clear: async () => (await backing.clear(), announce('cleared')),
        lock: (fn) => backing.lock!(fn),
        subscribe: (listener) => (listeners.get(id)!.add(listener), () => listeners.get(id)!.delete(listener)),
      }
    }
    return { backing, tab }
  }

  it('drops its copy when another tab saved: the next call serves the token the other tab saved, without a refresh', async () => {
    const used = rotatingEndpoint()
    const { backing, tab } = sharedStorage()
    await backing.save(tokens('old', 3_600_000))
    const a = new TokenManager({ oauthConfig: SERVER, tokenStorage: tab(1), now })
    const b = new TokenManager({ oauthConfig: SERVER, tokenStorage: tab(2), now })
    expect(await a.getAccessToken()).toBe('at-old')
    expect(await b.getAccessToken()).toBe('at-old')
    await b.refresh()
    expect(await b.getAccessToken()).toBe('at-1')
    expect(await a.getAccessToken()).toBe('at-1') // still valid in a's memory, but replaced: a follows
    expect(used).toEqual(['rt-old'])
  })

  it('signs out at once when another tab logged out, and drops a refresh it had in flight', async () => {
    const used = rotatingEndpoint({ wait: 50 })
    const { backing, tab } = sharedStorage()
    await backing.save(tokens('old', 1_000)) // expiring: a's next call refreshes
    const storeA = tab(1)
    const a = new TokenManager({ oauthConfig: SERVER, tokenStorage: { ...storeA, lock: undefined }, now })
    const b = new TokenManager({ oauthConfig: SERVER, tokenStorage: tab(2), now })
    const refreshing = a.getAccessToken()
    await new Promise((resolve) => setTimeout(resolve, 10))
    await b.clear()
    await expect(refreshing).rejects.toMatchObject({ code: OAUTH_NOT_LOGGED_IN })
    await expect(a.getAccessToken()).rejects.toMatchObject({ code: OAUTH_NOT_LOGGED_IN })
    expect(await backing.load()).toBeNull() // the dropped refresh saved nothing over the logout
    expect(used).toEqual(['rt-old'])
  })

  it('a read on its way when another holder saves is not kept: a refresh waiting for the lock takes the saved tokens at once', async () => {
    const used = rotatingEndpoint()
    const { backing, tab } = sharedStorage()
    await backing.save(tokens('old', -1_000)) // expired
    const store = tab(1)
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let reads = 0
    // Its first read is slow: another holder saves (and tells) while it is on its way.
    const slow: TokenStore = { ...store, load: async () => (reads++ === 0 ? backing.load().then(async (t) => (await gate, t)) : backing.load()) }
    const waiter = new TokenManager({ oauthConfig: SERVER, tokenStorage: slow, now })
    const other = tab(2)
    let held = true
    let servedWhileHeld: boolean | undefined
    let served: Promise<string> = new Promise(() => undefined)
    const holding = other.lock!(async () => {
      served = waiter.getAccessToken().then((token) => ((servedWhileHeld = held), token))
      await new Promise((resolve) => setTimeout(resolve, 10))
      await other.save(tokens('new', 3_600_000)) // told to the waiter while its read is on its way
      release() // the read returns the expired tokens it read before the save
      // The other holder keeps the lock until the waiter is served, or 2 s pass.
      await Promise.race([served, new Promise((resolve) => setTimeout(resolve, 2_000))])
      held = false
    })
    await holding
    expect(await served).toBe('at-new')
    expect(servedWhileHeld).toBe(true) // not after waiting for the lock
    expect(used).toEqual([])
  })

  it('settle() waits until a refresh served by another holder has let go of the lock it was waiting for', async () => {
    const used = rotatingEndpoint()
    const { backing, tab } = sharedStorage()
    await backing.save(tokens('old', -1_000)) // expired
    const store = tab(1)
    let locks = 0
    let unlocks = 0
    const counted: TokenStore = { ...store, lock: (fn) => store.lock!(async (lease) => (locks++, await fn(lease).finally(() => unlocks++))) }
    const waiter = new TokenManager({ oauthConfig: SERVER, tokenStorage: counted, now })
    const other = tab(2)
    let letGo!: () => void
    const mayLetGo = new Promise<void>((resolve) => (letGo = resolve))
    let isServed!: (served: Promise<string>) => void
    const served = new Promise<string>((resolve) => (isServed = resolve))
    const holding = other.lock!(async () => {
      const serving = waiter.getAccessToken()
      await new Promise((resolve) => setTimeout(resolve, 10))
      await other.save(tokens('new', 3_600_000))
      isServed(serving)
      await mayLetGo
    })
    expect(await served).toBe('at-new') // served while the other holder keeps the lock
    let settled = false
    const settling = waiter.settle().then(() => (settled = true))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(settled).toBe(false) // still waiting for the lock: a store ended now would fail that wait
    letGo()
    await holding
    await settling
    expect([locks, unlocks]).toEqual([1, 1]) // it took the lock, let it go at once, and only then settled
    expect(used).toEqual([])
  })
})
