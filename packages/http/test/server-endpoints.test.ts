// Every error shape and wire detail of client authentication, revocation, the device grant,
// discovery and the non-standard refusals, against scripted answers (msw). The same things run
// against a real second server in glewlwyd.test.ts.
import { getEventListeners } from 'node:events'
import { inspect } from 'node:util'
import {
  OAUTH_AUTHORIZATION_DENIED,
  OAUTH_DEVICE_AUTHORIZATION_ERROR,
  OAUTH_DISCOVERY_ERROR,
  OAUTH_INSECURE_ENDPOINT,
  OAUTH_INVALID_GRANT,
  OAUTH_LOGIN_TIMEOUT,
  OAUTH_RESPONSE_LOST,
  OAUTH_SERVER_ERROR,
  OAUTH_TOKEN_ENDPOINT_ERROR,
  OAUTH_UNSUPPORTED,
  type OAuthConfig,
  type OAuthTokens,
} from '@oauth/core'
import { MemoryTokenStore } from '@oauth/storage-memory'
import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { authorizeDevice, discoverOAuthConfig, OAuthHttpError, refreshAccessToken, revokeToken, TokenManager } from '../src/index.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const ISSUER = 'https://id.example.com'
const base: OAuthConfig = {
  clientId: 'my-app.cli_1',
  authorizeUrl: `${ISSUER}/auth`,
  tokenUrl: `${ISSUER}/token`,
  redirectUri: 'http://127.0.0.1/callback',
  revocationUrl: `${ISSUER}/revoke`,
  deviceAuthorizationUrl: `${ISSUER}/device`,
  issuer: ISSUER,
}
const SECRET = 'p@ss:word+with/odd~chars-0123456789'
const good = { access_token: 'at-new-0123456789', refresh_token: 'rt-new-0123456789', expires_in: 3600, token_type: 'Bearer' }
const noRetry = { retry: false as const }

function record(url: string, answer: (n: number) => Response) {
  const seen: Request[] = []
  server.use(
    http.post(url, ({ request }) => {
      seen.push(request.clone())
      return answer(seen.length)
    }),
  )
  return seen
}

describe('client authentication', () => {
  it('client_secret_basic: Authorization Basic with URLSearchParams encoding (IDs of letters, digits and -._ as they are), nothing in the body', async () => {
    const seen = record(base.tokenUrl, () => HttpResponse.json(good))
    await refreshAccessToken('rt-old', { ...base, clientSecret: SECRET }, noRetry)
    const header = seen[0]!.headers.get('authorization')!
    const [id, secret] = atob(header.replace(/^Basic /, '')).split(':')
    expect(id).toBe('my-app.cli_1')
    expect(secret).toBe(new URLSearchParams({ s: SECRET }).toString().slice(2))
    expect(decodeURIComponent(secret!.replace(/\+/g, ' '))).toBe(SECRET)
    const body = new URLSearchParams(await seen[0]!.text())
    expect(body.get('client_secret')).toBeNull()
  })

  it('client_secret_post: client_id and client_secret in the body, no Authorization', async () => {
    const seen = record(base.tokenUrl, () => HttpResponse.json(good))
    await refreshAccessToken('rt-old', { ...base, clientSecret: SECRET, clientAuthMethod: 'client_secret_post' }, noRetry)
    const body = new URLSearchParams(await seen[0]!.text())
    expect(body.get('client_id')).toBe(base.clientId)
    expect(body.get('client_secret')).toBe(SECRET)
    expect(seen[0]!.headers.get('authorization')).toBeNull()
  })

  it('none: only client_id', async () => {
    const seen = record(base.tokenUrl, () => HttpResponse.json(good))
    await refreshAccessToken('rt-old', base, noRetry)
    const body = new URLSearchParams(await seen[0]!.text())
    expect(body.get('client_id')).toBe(base.clientId)
    expect(body.get('client_secret')).toBeNull()
    expect(seen[0]!.headers.get('authorization')).toBeNull()
  })

  it.each([
    ['an EC P-256 JWK', { name: 'ECDSA', namedCurve: 'P-256' }, 'ES256', { name: 'ECDSA', hash: 'SHA-256' }],
    ['an RSA JWK (RS256)', { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, 'RS256', { name: 'RSASSA-PKCS1-v1_5' }],
  ])('private_key_jwt with %s: a signed assertion for the issuer, with the key id, verifiable with the public key', async (_, generate, alg, verify) => {
    const pair = (await crypto.subtle.generateKey(generate as EcKeyGenParams, true, ['sign', 'verify'])) as CryptoKeyPair
    const jwk = { ...(await crypto.subtle.exportKey('jwk', pair.privateKey)), kid: 'key-1', ...(alg === 'RS256' ? { alg } : {}) }
    const seen = record(base.tokenUrl, () => HttpResponse.json(good))
    const config = { ...base, clientPrivateKey: jwk }
    await refreshAccessToken('rt-old', config, noRetry)
    await refreshAccessToken('rt-old', config, noRetry) // the imported key is reused
    const body = new URLSearchParams(await seen[0]!.text())
    expect(body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    const [h, p, s] = body.get('client_assertion')!.split('.')
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString())
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString())
    expect(header).toMatchObject({ alg, kid: 'key-1' })
    expect(payload).toMatchObject({ iss: base.clientId, sub: base.clientId, aud: ISSUER })
    const ok = await crypto.subtle.verify(verify as EcdsaParams, pair.publicKey, Buffer.from(s!, 'base64url'), new TextEncoder().encode(`${h}.${p}`))
    expect(ok).toBe(true)
    // The key is never shown: not in the config's JSON, nor in its inspection.
    const resolved = new TokenManager({ oauthConfig: config }).oauthConfig
    expect(JSON.stringify(resolved)).not.toContain(jwk.d!)
    expect(inspect(resolved, { depth: 9 })).not.toContain(jwk.d!)
  })

  it('a JWK it cannot sign with is a TypeError naming its type, never its material', async () => {
    const err = await refreshAccessToken('rt', { ...base, clientPrivateKey: { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ' } }, noRetry).catch((e: Error) => e)
    expect(err).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
    expect((err as Error).message).toContain('oct')
    expect((err as Error).message).not.toContain('c2VjcmV0')
  })

  it('an echoed secret is cut out of the error', async () => {
    record(base.tokenUrl, () => HttpResponse.json({ error: 'invalid_client', error_description: `bad secret ${SECRET}` }, { status: 401 }))
    const err = await refreshAccessToken('rt-old', { ...base, clientSecret: SECRET }, noRetry).catch((e: Error) => e)
    expect(err).toMatchObject({ code: OAUTH_TOKEN_ENDPOINT_ERROR, status: 401 })
    expect((err as Error).message).toContain('client secret')
    expect(inspect(err, { depth: 9, showHidden: true })).not.toContain(SECRET)
  })
})

describe('an echoed secret is scrubbed in every encoding', () => {
  const form = (v: string) => new URLSearchParams({ v }).toString().slice(2)
  it.each([
    ['form-encoded, as sent in a body', form(SECRET)],
    ['percent-encoded', encodeURIComponent(SECRET)],
    ['decoded from the Basic header', `${base.clientId}:${SECRET}`],
    ['the Basic credentials themselves', btoa(`${form(base.clientId)}:${form(SECRET)}`)],
  ])('%s', async (_how, echoed) => {
    record(base.tokenUrl, () => HttpResponse.json({ error: 'invalid_client', error_description: `client authentication failed for ${echoed}` }, { status: 401 }))
    const err = await refreshAccessToken('rt-old', { ...base, clientSecret: SECRET }, noRetry).catch((e: Error) => e)
    expect(err).toMatchObject({ code: OAUTH_TOKEN_ENDPOINT_ERROR, status: 401 })
    const shown = `${(err as Error).message}\n${inspect(err, { depth: 9, showHidden: true })}\n${JSON.stringify(err)}`
    expect(shown).not.toContain(echoed)
    expect(shown).not.toContain(SECRET)
  })

  it('a short secret (under 8 characters) just sent is scrubbed too', async () => {
    record(base.tokenUrl, () => HttpResponse.json({ error: 'invalid_client', error_description: 'secret s3cr3t is wrong' }, { status: 401 }))
    const err = await refreshAccessToken('rt-old', { ...base, clientSecret: 's3cr3t' }, noRetry).catch((e: Error) => e)
    expect(inspect(err, { depth: 9, showHidden: true })).not.toContain('s3cr3t')
  })
})

describe('bodies that say nothing', () => {
  it.each([
    ['an empty body', () => new HttpResponse(null, { status: 400 }), 'an empty body'],
    ['an empty body with a content type', () => new HttpResponse('', { status: 400, headers: { 'content-type': 'application/json' } }), 'an empty body'],
    ['an HTML page', () => new HttpResponse('<h1>Bad</h1>', { status: 400, headers: { 'content-type': 'text/html' } }), 'a text/html body without an OAuth error'],
  ])('%s is described as such', async (_, answer, said) => {
    record(base.tokenUrl, answer)
    const err = await refreshAccessToken('rt-old', base, noRetry).catch((e: Error) => e)
    expect((err as Error).message).toContain(`HTTP 400, ${said}`)
  })
})

describe('non-standard refusals of a spent refresh token, through the manager', () => {
  const expired = (refreshToken: string): OAuthTokens => ({ accessToken: 'at-old-0123456789', refreshToken, expiresAt: Date.now() - 1000, tokenType: 'Bearer', scope: 'api' })

  it.each([
    ['400, empty', () => new HttpResponse(null, { status: 400 })],
    ['403 invalid_code', () => HttpResponse.json({ error: 'invalid_code' }, { status: 403 })],
    ['400 expired_refresh_token', () => HttpResponse.json({ error: 'expired_refresh_token' }, { status: 400 })],
  ])('%s ends as OAUTH_INVALID_GRANT ("log in again"), with the store untouched', async (_, answer) => {
    record(base.tokenUrl, answer)
    const store = new MemoryTokenStore({ tokens: expired('rt-spent') })
    const err = await new TokenManager({ tokenStorage: store, oauthConfig: base, oauthRequestOptions: noRetry }).getAccessToken().catch((e: Error) => e)
    expect(err).toMatchObject({ code: OAUTH_INVALID_GRANT, retryable: false })
    expect((err as Error).message).toMatch(/log in again/)
    expect((await store.load())!.refreshToken).toBe('rt-spent')
  })

  it.each([
    ['400 invalid_client', () => HttpResponse.json({ error: 'invalid_client' }, { status: 400 })],
    ['400 invalid_request', () => HttpResponse.json({ error: 'invalid_request' }, { status: 400 })],
    ['400 unauthorized_client', () => HttpResponse.json({ error: 'unauthorized_client' }, { status: 400 })],
    ['401, empty (client authentication)', () => new HttpResponse(null, { status: 401 })],
    ['404, empty', () => new HttpResponse(null, { status: 404 })],
  ])('%s stays an endpoint error: it blames the client or the URL, not the login', async (_, answer) => {
    record(base.tokenUrl, answer)
    const store = new MemoryTokenStore({ tokens: expired('rt-live') })
    const err = await new TokenManager({ tokenStorage: store, oauthConfig: base, oauthRequestOptions: noRetry }).getAccessToken().catch((e: Error) => e)
    expect(err).toMatchObject({ code: OAUTH_TOKEN_ENDPOINT_ERROR })
  })

  it('when another holder renewed the login meanwhile, its tokens are used instead', async () => {
    const store = new MemoryTokenStore({ tokens: expired('rt-spent') })
    record(base.tokenUrl, () => {
      // Another process rotated it and saved its tokens just before our request arrived.
      void store.save({ accessToken: 'at-other-0123456789', refreshToken: 'rt-other', expiresAt: Date.now() + 3_600_000, tokenType: 'Bearer', scope: 'api' })
      return new HttpResponse(null, { status: 400 })
    })
    const manager = new TokenManager({ tokenStorage: store, oauthConfig: base, oauthRequestOptions: noRetry })
    expect(await manager.getAccessToken()).toBe('at-other-0123456789')
  })
})

describe('revokeToken', () => {
  it('sends token and token_type_hint, form-encoded', async () => {
    const seen = record(base.revocationUrl!, () => new HttpResponse(null, { status: 200 }))
    await revokeToken('rt-1', base, { tokenTypeHint: 'refresh_token' })
    expect(Object.fromEntries(new URLSearchParams(await seen[0]!.text()))).toEqual({ token: 'rt-1', token_type_hint: 'refresh_token', client_id: base.clientId })
  })

  it('without a revocation endpoint: OAUTH_UNSUPPORTED, nothing sent', async () => {
    const err = await revokeToken('rt-1', { ...base, revocationUrl: undefined }).catch((e: Error) => e)
    expect(err).toMatchObject({ code: OAUTH_UNSUPPORTED })
  })

  it('a 503 is a server error, and the manager\'s logout still removes the login and says why it was not revoked', async () => {
    record(base.revocationUrl!, () => HttpResponse.json({ error: 'temporarily_unavailable' }, { status: 503 }))
    const store = new MemoryTokenStore({ tokens: { accessToken: 'at', refreshToken: 'rt', expiresAt: Date.now() + 3_600_000, tokenType: 'Bearer', scope: 'api' } })
    const result = await new TokenManager({ tokenStorage: store, oauthConfig: base }).logout()
    expect(result).toMatchObject({ removed: true, revoked: false, revocationError: { code: OAUTH_SERVER_ERROR, status: 503 } })
    expect(await store.load()).toBeNull()
  })

  it('a manager whose server has no revocation endpoint logs out locally and says so', async () => {
    const store = new MemoryTokenStore({ tokens: { accessToken: 'at', refreshToken: 'rt', tokenType: 'Bearer', scope: 'api' } })
    const result = await new TokenManager({ tokenStorage: store, oauthConfig: { ...base, revocationUrl: undefined } }).logout()
    expect(result).toMatchObject({ removed: true, revoked: false, revocationError: { code: OAUTH_UNSUPPORTED } })
  })
})

describe('authorizeDevice', () => {
  const device = (extra: Record<string, unknown> = {}) => () =>
    HttpResponse.json({ device_code: 'dc-1', user_code: 'ABCD-EFGH', verification_uri: `${ISSUER}/activate`, expires_in: 30, interval: 1, ...extra })

  it('polls at the interval, 5 s slower after slow_down, until the tokens come', async () => {
    record(base.deviceAuthorizationUrl!, device())
    const times: number[] = []
    record(base.tokenUrl, (n) => {
      times.push(Date.now())
      if (n === 1) return HttpResponse.json({ error: 'authorization_pending' }, { status: 400 })
      if (n === 2) return HttpResponse.json({ error: 'slow_down' }, { status: 400 })
      return HttpResponse.json(good)
    })
    const shown: unknown[] = []
    const tokens = await authorizeDevice(base, { onUserCode: (code) => void shown.push(code) })
    expect(tokens.accessToken).toBe(good.access_token)
    expect(shown).toEqual([{ userCode: 'ABCD-EFGH', verificationUri: `${ISSUER}/activate`, verificationUriComplete: undefined, expiresAt: expect.any(Number) }])
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950)
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(5950) // 1 s + 5 s after slow_down
  }, 20_000)

  it.each([
    ['access_denied', OAUTH_AUTHORIZATION_DENIED],
    ['expired_token', OAUTH_LOGIN_TIMEOUT],
  ])('%s ends it as %s', async (error, code) => {
    record(base.deviceAuthorizationUrl!, device())
    record(base.tokenUrl, () => HttpResponse.json({ error }, { status: 400 }))
    await expect(authorizeDevice(base, { onUserCode: () => {} })).rejects.toMatchObject({ code })
  })

  it('a code that expires unapproved ends as OAUTH_LOGIN_TIMEOUT without another poll', async () => {
    record(base.deviceAuthorizationUrl!, device({ expires_in: 1, interval: 2 }))
    const polls = record(base.tokenUrl, () => HttpResponse.json({ error: 'authorization_pending' }, { status: 400 }))
    await expect(authorizeDevice(base, { onUserCode: () => {} })).rejects.toMatchObject({ code: OAUTH_LOGIN_TIMEOUT })
    expect(polls).toHaveLength(0)
  })

  it('an interval past setTimeout\'s range is no hot loop, and no wait runs past the code\'s expiry', async () => {
    record(base.deviceAuthorizationUrl!, device({ expires_in: 2, interval: 1e10 }))
    const polls = record(base.tokenUrl, () => HttpResponse.json({ error: 'authorization_pending' }, { status: 400 }))
    await expect(authorizeDevice(base, { onUserCode: () => {} })).rejects.toMatchObject({ code: OAUTH_LOGIN_TIMEOUT })
    expect(polls).toHaveLength(0)
  }, 10_000)

  it('a 30 s interval on a code that lives 2 s ends when the code does, not 30 s later', async () => {
    record(base.deviceAuthorizationUrl!, device({ expires_in: 2, interval: 30 }))
    record(base.tokenUrl, () => HttpResponse.json({ error: 'authorization_pending' }, { status: 400 }))
    await expect(authorizeDevice(base, { onUserCode: () => {} })).rejects.toMatchObject({ code: OAUTH_LOGIN_TIMEOUT })
  }, 10_000)

  it('an absurd expires_in is capped at an hour', async () => {
    record(base.deviceAuthorizationUrl!, device({ expires_in: 1e300 }))
    record(base.tokenUrl, () => HttpResponse.json(good))
    const shown: { expiresAt: number }[] = []
    await authorizeDevice(base, { onUserCode: (c) => void shown.push(c) })
    expect(shown[0]!.expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000)
  })

  it('a refusal of the device request has its own code, not the token endpoint\'s', async () => {
    record(base.deviceAuthorizationUrl!, () => HttpResponse.json({ error: 'unauthorized_client' }, { status: 400 }))
    await expect(authorizeDevice(base, { onUserCode: () => {} })).rejects.toMatchObject({ code: OAUTH_DEVICE_AUTHORIZATION_ERROR, status: 400, error: 'unauthorized_client' })
  })

  it('the caller\'s abort while it waits between polls is the typed error an abort during a request is, never a raw AbortError', async () => {
    record(base.deviceAuthorizationUrl!, device({ interval: 5 }))
    const polls = record(base.tokenUrl, () => HttpResponse.json(good))
    const caller = new AbortController()
    setTimeout(() => caller.abort(), 200)
    const err = await authorizeDevice(base, { onUserCode: () => {}, signal: caller.signal }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OAuthHttpError)
    expect(err).toMatchObject({ code: OAUTH_RESPONSE_LOST, message: expect.stringContaining('aborted by the caller') })
    expect(polls).toHaveLength(0)
  })

  it('polling adds no abort listener per poll to the caller\'s signal', async () => {
    record(base.deviceAuthorizationUrl!, device())
    record(base.tokenUrl, (n) => (n < 4 ? HttpResponse.json({ error: 'authorization_pending' }, { status: 400 }) : HttpResponse.json(good)))
    const caller = new AbortController()
    await authorizeDevice(base, { onUserCode: () => {}, signal: caller.signal })
    expect(getEventListeners(caller.signal, 'abort').length).toBeLessThanOrEqual(1)
  }, 20_000)

  it('without a device endpoint: OAUTH_UNSUPPORTED, nothing sent', async () => {
    await expect(authorizeDevice({ ...base, deviceAuthorizationUrl: undefined }, { onUserCode: () => {} })).rejects.toMatchObject({ code: OAUTH_UNSUPPORTED })
  })

  it('an answer without a user code or an http(s) page is refused before anything is shown', async () => {
    record(base.deviceAuthorizationUrl!, device({ verification_uri: 'javascript:alert(1)' }))
    const shown: unknown[] = []
    await expect(authorizeDevice(base, { onUserCode: (c) => void shown.push(c) })).rejects.toMatchObject({ code: OAUTH_DEVICE_AUTHORIZATION_ERROR })
    expect(shown).toEqual([])
  })

  it('makes the user code safe for a terminal, and takes Google\'s verification_url', async () => {
    record(base.deviceAuthorizationUrl!, device({ user_code: 'AB\u001b[2JCD', verification_uri: undefined, verification_url: 'https://www.google.com/device' }))
    record(base.tokenUrl, () => HttpResponse.json(good))
    const shown: { userCode: string; verificationUri: string }[] = []
    await authorizeDevice(base, { onUserCode: (c) => void shown.push(c) })
    expect(shown[0]!.userCode).not.toContain('\u001b')
    expect(shown[0]!.verificationUri).toBe('https://www.google.com/device')
  })
})

describe('discoverOAuthConfig', () => {
  const metadata = { issuer: ISSUER, authorization_endpoint: `${ISSUER}/auth`, token_endpoint: `${ISSUER}/token` }

  it('reads RFC 8414 metadata first, and falls back to OpenID Connect discovery on 404', async () => {
    const asked: string[] = []
    server.use(
      http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => (asked.push('rfc8414'), new HttpResponse(null, { status: 404 }))),
      http.get(`${ISSUER}/.well-known/openid-configuration`, () => (asked.push('oidc'), HttpResponse.json({ ...metadata, revocation_endpoint: `${ISSUER}/revoke` }))),
    )
    const config = await discoverOAuthConfig(ISSUER, { clientId: 'app', clientSecret: SECRET })
    expect(asked).toEqual(['rfc8414', 'oidc'])
    expect(config).toMatchObject({ clientId: 'app', issuer: ISSUER, tokenUrl: `${ISSUER}/token`, revocationUrl: `${ISSUER}/revoke`, redirectUri: 'http://127.0.0.1/callback' })
    expect(config.deviceAuthorizationUrl).toBeUndefined()
  })

  it('a server without metadata, or with a document that is not JSON, is a discovery error (nothing was sent to a token endpoint)', async () => {
    server.use(
      http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => new HttpResponse(null, { status: 404 })),
      http.get(`${ISSUER}/.well-known/openid-configuration`, () => new HttpResponse(null, { status: 404 })),
    )
    await expect(discoverOAuthConfig(ISSUER, { clientId: 'app' })).rejects.toMatchObject({ code: OAUTH_DISCOVERY_ERROR, status: 404 })
    server.use(http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => new HttpResponse('<html>', { status: 200, headers: { 'content-type': 'text/html' } })))
    await expect(discoverOAuthConfig(ISSUER, { clientId: 'app' })).rejects.toMatchObject({ code: OAUTH_DISCOVERY_ERROR })
    server.use(http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => new HttpResponse(null, { status: 403 })))
    await expect(discoverOAuthConfig(ISSUER, { clientId: 'app' })).rejects.toMatchObject({ code: OAUTH_DISCOVERY_ERROR, status: 403 })
  })

  it('puts the well-known segment before an issuer\'s path (RFC 8414 §3.1)', async () => {
    server.use(http.get(`${ISSUER}/.well-known/oauth-authorization-server/tenant-1`, () => HttpResponse.json({ ...metadata, issuer: `${ISSUER}/tenant-1` })))
    expect((await discoverOAuthConfig(`${ISSUER}/tenant-1`, { clientId: 'app' })).issuer).toBe(`${ISSUER}/tenant-1`)
  })

  it('refuses metadata for another issuer, and plain http off loopback', async () => {
    server.use(http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json({ ...metadata, issuer: 'https://evil.example' })))
    await expect(discoverOAuthConfig(ISSUER, { clientId: 'app' })).rejects.toMatchObject({ code: OAUTH_DISCOVERY_ERROR, message: expect.stringMatching(/describes the issuer https:\/\/evil.example/) })
    await expect(discoverOAuthConfig('http://id.example.com', { clientId: 'app' })).rejects.toMatchObject({ code: OAUTH_INSECURE_ENDPOINT })
  })

  it('refuses an authorization endpoint over plain http off loopback, or of another scheme', async () => {
    for (const authorization_endpoint of ['http://id.example.com/auth', 'javascript:alert(1)//auth']) {
      server.use(http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json({ ...metadata, authorization_endpoint })))
      await expect(discoverOAuthConfig(ISSUER, { clientId: 'app' })).rejects.toMatchObject({ code: OAUTH_INSECURE_ENDPOINT })
    }
  })

  it('the config it returns keeps the client secret and a private JWK out of JSON.stringify and util.inspect', async () => {
    server.use(http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata)))
    const key = (await crypto.subtle.exportKey('jwk', (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])).privateKey)) as JsonWebKey
    for (const secret of [{ clientSecret: SECRET }, { clientPrivateKey: key }]) {
      const config = await discoverOAuthConfig(ISSUER, { clientId: 'app', ...secret })
      const shown = `${JSON.stringify(config)}\n${inspect(config, { depth: 9, showHidden: true })}\n${JSON.stringify({ ...config })}`
      expect(shown).not.toContain(SECRET)
      expect(shown).not.toContain(key.d)
      expect(shown).toContain('[redacted]')
    }
  })

  it('needs a client ID, and checks the client settings given with it', async () => {
    await expect(discoverOAuthConfig(ISSUER, {} as never)).rejects.toMatchObject({ name: 'TypeError' })
    server.use(http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata)))
    await expect(discoverOAuthConfig(ISSUER, { clientId: 'app', clientAuthMethod: 'client_secret_post' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' })
  })
})
