// Against a real authorization server (oidc-provider) on 127.0.0.1: PKCE required,
// refresh tokens rotated, access tokens living 2 seconds. It revokes the whole grant
// when a rotated refresh token is reused, so a careless client fails here.
import { buildAuthorizationUrl, OAUTH_INVALID_GRANT, parseAuthCode, sleep } from '@oauth/core'
import { MemoryTokenStore } from '@oauth/storage-memory'
import { loginAt, startAuthorizationServer, type AuthorizationServer } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer } from 'node:net'
import { exchangeCodeForTokens, refreshAccessToken, TokenManager } from '../../src/index.js'

let server: AuthorizationServer
beforeAll(async () => {
  server = await startAuthorizationServer({ accessTokenTtl: 2 })
})
afterAll(() => server.close())

/** The whole authorization-code flow, with the test answering login and consent. */
const login = () => loginAt(server.config, (url) => server.authorize(url))


describe('against oidc-provider', () => {
  it('logs in with PKCE and gets rotating tokens', async () => {
    const tokens = await login()
    expect(tokens.accessToken).toMatch(/.{20,}/)
    expect(tokens.refreshToken).toMatch(/.{20,}/)
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.scope.split(' ').sort()).toEqual(['offline_access', 'openid'])
    expect(tokens.expiresAt! - Date.now()).toBeLessThanOrEqual(2_000)
  })

  it('refreshes several times in a row, each time with the newest refresh token', async () => {
    let tokens = await login()
    const seen = new Set([tokens.refreshToken])
    for (let i = 0; i < 4; i++) {
      tokens = await refreshAccessToken(tokens.refreshToken!, server.config)
      expect(seen.has(tokens.refreshToken)).toBe(false)
      seen.add(tokens.refreshToken)
    }
    expect(server.events.errors).toEqual([])
  })

  it('makes exactly one token request for 200 concurrent callers on an expired token, with no invalid_grant', async () => {
    const store = new MemoryTokenStore({ tokens: await login() })
    const manager = new TokenManager({ tokenStorage: store, oauthConfig: server.config, expiryBufferSeconds: 0 })
    await sleep(2_100) // the 2-second access token is now expired
    const refreshesBefore = server.events.refreshGrants
    const errorsBefore = server.events.errors.length
    const results = await Promise.all(Array.from({ length: 200 }, () => manager.getAccessToken()))
    expect(new Set(results).size).toBe(1)
    expect(server.events.refreshGrants - refreshesBefore).toBe(1)
    expect(server.events.errors.length - errorsBefore).toBe(0)
    expect((await store.load())!.accessToken).toBe(results[0])
  })

  it('keeps the manager working across several expiries, one refresh each', async () => {
    const manager = new TokenManager({ tokenStorage: new MemoryTokenStore({ tokens: await login() }), oauthConfig: server.config, expiryBufferSeconds: 0 })
    const before = server.events.refreshGrants
    for (let i = 0; i < 3; i++) {
      await sleep(2_100)
      await Promise.all(Array.from({ length: 20 }, () => manager.getAccessToken()))
    }
    expect(server.events.refreshGrants - before).toBe(3)
    expect(manager.refreshCount).toBe(3)
  }, 30_000)

  it('reports a replayed rotated refresh token as invalid_grant and leaves the stored tokens as they were', async () => {
    const first = await login()
    const rotated = await refreshAccessToken(first.refreshToken!, server.config)
    // The store holds the set whose refresh token was already spent.
    const store = new MemoryTokenStore({ tokens: { ...first, expiresAt: Date.now() - 1 } })
    const before = await store.load()
    const manager = new TokenManager({ tokenStorage: store, oauthConfig: server.config, expiryBufferSeconds: 0 })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: OAUTH_INVALID_GRANT, message: expect.stringMatching(/log in again/i) })
    expect(await store.load()).toEqual(before)
    // The server punished the reuse by revoking the grant: the rotated token is dead too.
    await expect(refreshAccessToken(rotated.refreshToken!, server.config)).rejects.toMatchObject({ code: OAUTH_INVALID_GRANT })
  })

  it('refuses to spend a code whose state does not match, so the code stays usable', async () => {
    const { url, oauthState } = await buildAuthorizationUrl(server.config)
    const { code, state } = parseAuthCode(await server.authorize(url))
    await expect(exchangeCodeForTokens(code, 'forged', oauthState, server.config)).rejects.toMatchObject({ code: 'OAUTH_STATE_MISMATCH' })
    const tokens = await exchangeCodeForTokens(code, state, oauthState, server.config)
    expect(tokens.refreshToken).toBeTruthy()
  })
})

describe('connection failures', () => {
  it('retries a refresh that could not connect (never sent), then reports a network error, not a logout', async () => {
    // A port that was just free: nothing listens there, so the connection is refused.
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as { port: number }
    await new Promise((resolve) => probe.close(resolve))
    let attempts = 0
    const counting: typeof fetch = (input, init) => {
      attempts++
      return fetch(input, init)
    }
    const config = { ...server.config, tokenUrl: `http://127.0.0.1:${port}/token` }
    await expect(refreshAccessToken('rt', config, { fetch: counting, retry: { retries: 2, baseDelayMs: 1 } })).rejects.toMatchObject({
      code: 'OAUTH_NETWORK_ERROR',
      retryable: true,
      message: expect.stringContaining('ECONNREFUSED'),
    })
    expect(attempts).toBe(3)
  })
})

describe('private_key_jwt against oidc-provider (RFC 7523 client assertions)', () => {
  let keyed: AuthorizationServer
  let privateJwk: JsonWebKey & { kid: string }
  beforeAll(async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair
    privateJwk = { ...(await crypto.subtle.exportKey('jwk', pair.privateKey)), kid: 'k1' }
    const publicJwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
    keyed = await startAuthorizationServer({
      accessTokenTtl: 60,
      extraClients: [
        {
          client_id: 'jwt-client',
          application_type: 'native',
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks: { keys: [publicJwk] },
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          redirect_uris: ['http://127.0.0.1/callback'],
        },
      ],
    })
  })
  afterAll(() => keyed?.close())

  it('signs in and refreshes with a signed assertion instead of a secret; a key of another pair is refused', async () => {
    const config = { ...keyed.config, clientId: 'jwt-client', issuer: keyed.issuer, clientPrivateKey: privateJwk }
    const { url, oauthState } = await buildAuthorizationUrl(config)
    const { code, state } = parseAuthCode(await keyed.authorize(url))
    const tokens = await exchangeCodeForTokens(code, state, oauthState, config)
    const fresh = await refreshAccessToken(tokens.refreshToken!, config)
    expect(fresh.refreshToken).not.toBe(tokens.refreshToken)
    const other = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign'])) as CryptoKeyPair
    const wrong = { ...config, clientPrivateKey: other.privateKey }
    await expect(refreshAccessToken(fresh.refreshToken!, wrong, { retry: false })).rejects.toMatchObject({ code: 'OAUTH_TOKEN_ENDPOINT_ERROR', error: 'invalid_client' })
  }, 30_000)
})
