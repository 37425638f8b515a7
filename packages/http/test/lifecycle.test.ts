// The token lifecycle against real servers on 127.0.0.1: oidc-provider (rotating refresh
// tokens, short-lived access tokens) and the Anthropic stand-in (429 with Retry-After, error
// descriptions that echo what was sent).
import { inspect } from 'node:util'
import { buildAuthorizationUrl, OAUTH_RATE_LIMITED, parseAuthCode, type OAuthTokens, sleep } from '@oauth/core'
import { MemoryTokenStore } from '@oauth/storage-memory'
import { startAnthropicStandIn, startAuthorizationServer, type AnthropicStandIn, type AuthorizationServer } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exchangeCodeForTokens, TokenManager } from '../src/index.js'

let oidc: AuthorizationServer
let standIn: AnthropicStandIn
beforeAll(async () => {
  oidc = await startAuthorizationServer({ accessTokenTtl: 4 })
  standIn = await startAnthropicStandIn()
}, 30_000)
afterAll(async () => {
  await oidc.close()
  await standIn.close()
})


async function oidcLogin(): Promise<OAuthTokens> {
  const { url, oauthState } = await buildAuthorizationUrl(oidc.config)
  const { code, state } = parseAuthCode(await oidc.authorize(url))
  return exchangeCodeForTokens(code, state, oauthState, oidc.config)
}

async function standInLogin(): Promise<OAuthTokens> {
  const { url, oauthState } = await buildAuthorizationUrl(standIn.config)
  const { code, state } = parseAuthCode(await standIn.approve(url))
  return exchangeCodeForTokens(code, state, oauthState, standIn.config)
}

const rateLimited = (retryAfter: string) => ({
  status: 429,
  body: { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } },
  headers: { 'retry-after': retryAfter },
})

describe('a refresh per lifetime, not per call', () => {
  it('tokens that live 4 s: 100 calls over 2 s send no refresh; the next 2 s send one', async () => {
    const manager = new TokenManager({ tokenStorage: new MemoryTokenStore({ tokens: await oidcLogin() }), oauthConfig: oidc.config })
    const grants = oidc.events.refreshGrants
    for (let i = 0; i < 100; i++) {
      await manager.getAccessToken()
      await sleep(15)
    }
    expect(oidc.events.refreshGrants - grants).toBe(0)
    const end = Date.now() + 2_000
    while (Date.now() < end) {
      await manager.getAccessToken()
      await sleep(20)
    }
    // A quarter of the 4 s lifetime is the buffer: one refresh, in the background, near 3 s.
    expect(oidc.events.refreshGrants - grants).toBe(1)
    expect(oidc.events.errors).toEqual([])
  }, 30_000)
})

describe('rate limits are shared and survivable', () => {
  it("a 429's Retry-After is kept with the tokens: another manager on the store sends nothing before it ends, and a valid token is served meanwhile", async () => {
    const tokens = await standInLogin()
    // Four minutes left: inside the 5-minute buffer, still valid.
    const store = new MemoryTokenStore({ tokens: { ...tokens, issuedAt: undefined, expiresAt: Date.now() + 240_000 } })
    standIn.failNextTokenRequests(1, rateLimited('120'))
    const sent = standIn.tokenRequests.length
    const first = new TokenManager({ tokenStorage: store, oauthConfig: standIn.config })
    await expect(first.refresh()).rejects.toMatchObject({ code: OAUTH_RATE_LIMITED, retryAfterMs: 120_000 })
    expect(standIn.tokenRequests.length).toBe(sent + 1)
    const cooled = await store.load()
    expect(cooled?.refreshNotBefore).toBeGreaterThan(Date.now() + 110_000)
    expect(cooled?.refreshToken).toBe(tokens.refreshToken)

    // Another process, sharing the store: it serves the valid token and sends nothing.
    const second = new TokenManager({ tokenStorage: store, oauthConfig: standIn.config })
    for (let i = 0; i < 20; i++) expect(await second.getAccessToken()).toBe(tokens.accessToken)
    await expect(second.refresh()).rejects.toMatchObject({ code: OAUTH_RATE_LIMITED })
    expect(standIn.tokenRequests.length).toBe(sent + 1)

    // Once the token has expired, the cooldown still holds: a typed rate limit, not "log in".
    await store.save({ ...(await store.load())!, expiresAt: Date.now() - 1_000 })
    const third = new TokenManager({ tokenStorage: store, oauthConfig: standIn.config })
    await expect(third.getAccessToken()).rejects.toMatchObject({ code: OAUTH_RATE_LIMITED, retryable: true })
    expect(standIn.tokenRequests.length).toBe(sent + 1)
  })

  it('when the cooldown ends, one refresh is sent and the cooldown is gone from the store', async () => {
    const tokens = await standInLogin()
    const store = new MemoryTokenStore({ tokens: { ...tokens, expiresAt: Date.now() - 1_000 } })
    standIn.failNextTokenRequests(1, rateLimited('1'))
    const manager = new TokenManager({ tokenStorage: store, oauthConfig: standIn.config })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: OAUTH_RATE_LIMITED })
    await sleep(1_100)
    const fresh = await manager.getAccessToken()
    expect(fresh).not.toBe(tokens.accessToken)
    expect((await store.load())?.refreshNotBefore).toBeUndefined()
  })
})

describe('no token at any depth', () => {
  it("the server's error_description is scrubbed of the refresh token just sent and of anything token-shaped", async () => {
    const tokens = await standInLogin()
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLWJ5dGVz'
    standIn.failNextTokenRequests(1, {
      status: 400,
      body: { error: 'invalid_grant', error_description: `Refresh token ${tokens.refreshToken} was revoked (session ${jwt}, key 0123456789abcdefABCDEF0123456789xyz)` },
    })
    const manager = new TokenManager({ tokenStorage: new MemoryTokenStore({ tokens: { ...tokens, expiresAt: Date.now() - 1_000 } }), oauthConfig: standIn.config })
    const err = await manager.getAccessToken().then(
      () => undefined,
      (e: unknown) => e,
    )
    const shown = `${inspect(err, { depth: Infinity, showHidden: true })}\n${JSON.stringify(err)}`
    expect(shown).toContain('was revoked')
    expect(shown).not.toContain(tokens.refreshToken!)
    expect(shown).not.toContain(tokens.refreshToken!.slice(0, 20))
    expect(shown).not.toContain(jwt)
    expect(shown).not.toContain('0123456789abcdefABCDEF')
    expect(shown).toContain('[redacted]')
  })
})
