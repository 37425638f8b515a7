// The whole flow against a second, independent server: Glewlwyd 2.7.5 (C, Debian's package),
// started by the test. Public and confidential clients, discovery, rotation, revocation and the
// device grant, with what it really answers (see packages/test-utils/src/glewlwyd-server.ts).
import { inspect } from 'node:util'
import { buildAuthorizationUrl, OAUTH_AUTHORIZATION_FAILED, OAUTH_DISCOVERY_ERROR, OAUTH_INVALID_GRANT, OAUTH_TOKEN_ENDPOINT_ERROR, parseAuthCode, type OAuthConfig, sleep } from '@oauth/core'
import { MemoryTokenStore } from '@oauth/storage-memory'
import { loginAt, startGlewlwyd, type GlewlwydClient, type GlewlwydServer } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authorizeDevice, discoverOAuthConfig, OAuthHttpError, refreshAccessToken, revokeToken, TokenManager } from '../../src/index.js'

let server: GlewlwydServer
beforeAll(async () => {
  server = await startGlewlwyd({ accessTokenTtl: 2, deviceInterval: 1 })
}, 30_000)
afterAll(() => server?.stop())

const login = (config: OAuthConfig) => loginAt(config, (url) => server.authorize(url))


describe.each(['public', 'basic', 'post'] as const)('Glewlwyd, %s client', (kind: GlewlwydClient) => {
  it('logs in with PKCE, and the manager refreshes a rotating token as it expires, saving each one', async () => {
    const config = server.config(kind)
    const first = await login(config)
    expect(first.refreshToken).toBeTruthy()
    const store = new MemoryTokenStore({ tokens: first })
    const manager = new TokenManager({ tokenStorage: store, oauthConfig: config })
    const seen = new Set<string>()
    for (let i = 0; i < 3; i++) {
      seen.add(await manager.getAccessToken())
      await sleep(2100)
    }
    seen.add(await manager.getAccessToken())
    expect(seen.size).toBeGreaterThanOrEqual(3)
    const saved = await store.load()
    expect(saved!.refreshToken).not.toBe(first.refreshToken) // rotated, and the new one saved
    // The first refresh token is spent: Glewlwyd answers 400 with an empty body, and says so.
    const reused = await refreshAccessToken(first.refreshToken!, config).catch((err: unknown) => err)
    expect(reused).toMatchObject({ code: OAUTH_TOKEN_ENDPOINT_ERROR, status: 400 })
    expect((reused as Error).message).toContain('an empty body')
  }, 30_000)

  it('reads the empty 400 for a spent refresh token as "log in again" once the store shows no other holder renewed it, and keeps the store', async () => {
    const config = server.config(kind)
    const tokens = await login(config)
    await refreshAccessToken(tokens.refreshToken!, config) // another client spends it; the store never learns
    const store = new MemoryTokenStore({ tokens: { ...tokens, expiresAt: Date.now() - 1000 } })
    const manager = new TokenManager({ tokenStorage: store, oauthConfig: config })
    const err = await manager.getAccessToken().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OAuthHttpError)
    expect(err).toMatchObject({ code: OAUTH_INVALID_GRANT, status: 400 })
    expect((err as Error).message).toMatch(/log in again/)
    expect((await store.load())!.refreshToken).toBe(tokens.refreshToken) // a failed refresh never wipes the login
  }, 30_000)
})

describe('Glewlwyd: confidential clients keep their secret', () => {
  it('refuses a wrong secret, and no error, nor anything a manager prints, shows the secret', async () => {
    const config = server.config('basic')
    const tokens = await login(config)
    const wrong = { ...config, clientSecret: 'wrong-secret-wrong-secret-0000' }
    const err = await refreshAccessToken(tokens.refreshToken!, wrong).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OAuthHttpError)
    const manager = new TokenManager({ oauthTokens: tokens, oauthConfig: config })
    for (const shown of [inspect(err, { depth: 10, showHidden: true }), JSON.stringify(err), inspect(manager, { depth: 10 }), JSON.stringify(manager), inspect(manager.oauthConfig, { depth: 10 }), JSON.stringify(manager.oauthConfig)]) {
      expect(shown).not.toContain(server.clientSecret)
      expect(shown).not.toContain(wrong.clientSecret)
    }
    expect(JSON.stringify(manager.oauthConfig)).toContain('[redacted]')
  }, 30_000)
})

describe('Glewlwyd: discovery', () => {
  it('builds the same config as the hand-written one, with the revocation and device endpoints', async () => {
    const found = await discoverOAuthConfig(server.issuer, { clientId: server.clientIds.basic, clientSecret: server.clientSecret, scopes: 'api', redirectUri: server.loopbackRedirectUri })
    const hand = server.config('basic')
    expect(found).toMatchObject({
      issuer: hand.issuer,
      authorizeUrl: hand.authorizeUrl,
      tokenUrl: hand.tokenUrl,
      revocationUrl: hand.revocationUrl,
      deviceAuthorizationUrl: hand.deviceAuthorizationUrl,
    })
    // …and it signs in and refreshes (client_secret_basic, the default with a secret).
    const tokens = await login(found)
    expect((await refreshAccessToken(tokens.refreshToken!, found)).accessToken).toBeTruthy()
  }, 30_000)

  it('refuses a document that names another issuer (RFC 8414 §3.3)', async () => {
    const err = await discoverOAuthConfig(`${server.issuer}/`, { clientId: 'x' }).then(
      () => discoverOAuthConfig(server.issuer.replace('/oidc', '/oidc2'), { clientId: 'x' }),
    ).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: OAUTH_DISCOVERY_ERROR })
    expect((err as Error).message).toMatch(/publishes no metadata|describes the issuer/)
  })

  it('keeps the server\'s error_description when it refuses the authorization (scope openid without a nonce)', async () => {
    const { url } = await buildAuthorizationUrl({ ...server.config('public'), scopes: 'openid api' })
    const callback = await server.authorize(url)
    let err: unknown
    try {
      parseAuthCode(callback)
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: OAUTH_AUTHORIZATION_FAILED })
    expect((err as Error).message).toContain('invalid_request: nonce required')
  })
})

describe('Glewlwyd: revocation on logout', () => {
  it('a confidential client revokes its refresh token: the login is gone here and at the server', async () => {
    const config = server.config('post')
    const store = new MemoryTokenStore({ tokens: await login(config) })
    const before = (await store.load())!
    const manager = new TokenManager({ tokenStorage: store, oauthConfig: config })
    expect(await manager.logout()).toEqual({ removed: true, revoked: true })
    expect(await store.load()).toBeNull()
    const err = await refreshAccessToken(before.refreshToken!, config).catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 400 }) // revoked: refused as a spent token is
  }, 30_000)

  it('a public client is refused by Glewlwyd\'s /revoke (401): logged out here anyway, and told why', async () => {
    const config = server.config('public')
    const store = new MemoryTokenStore({ tokens: await login(config) })
    const manager = new TokenManager({ tokenStorage: store, oauthConfig: config })
    const result = await manager.logout()
    expect(result).toMatchObject({ removed: true, revoked: false })
    expect(result.revocationError).toMatchObject({ status: 401 })
    expect(result.revocationError!.message).toContain('revocation endpoint')
    expect(await store.load()).toBeNull()
  }, 30_000)

  it('revokeToken sends the hint and the client authentication', async () => {
    const config = server.config('basic')
    const tokens = await login(config)
    await revokeToken(tokens.refreshToken!, config, { tokenTypeHint: 'refresh_token' })
    await expect(refreshAccessToken(tokens.refreshToken!, config)).rejects.toMatchObject({ status: 400 })
  }, 30_000)
})

describe('Glewlwyd: the device grant (RFC 8628)', () => {
  it('shows the code and the page, polls at the server\'s interval until the user approves on another device', async () => {
    const config = await discoverOAuthConfig(server.issuer, { clientId: server.clientIds.public, scopes: 'api' })
    const shown: string[] = []
    const started = Date.now()
    const tokens = await authorizeDevice(config, {
      onUserCode: ({ userCode, verificationUri, verificationUriComplete }) => {
        shown.push(userCode, verificationUri, verificationUriComplete ?? '')
        // The user, on their phone, a moment later.
        setTimeout(() => void server.approveDevice(userCode), 1500)
      },
    })
    expect(shown[0]).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    expect(shown[1]).toBe(`${server.issuer}/device`)
    expect(shown[2]).toContain(shown[0])
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500)
    expect(tokens.refreshToken).toBeTruthy()
    // The tokens work like any others.
    expect((await refreshAccessToken(tokens.refreshToken!, config)).accessToken).toBeTruthy()
  }, 30_000)
})
