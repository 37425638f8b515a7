// Authorization server discovery (RFC 8414, OpenID Connect), against scripted answers (msw).
import { inspect } from 'node:util'
import { OAUTH_DISCOVERY_ERROR, OAUTH_INSECURE_ENDPOINT } from '@oauth/core'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { discoverOAuthConfig } from '../src/index.js'
import { ISSUER, scripted, SECRET } from './fixtures/scripted-server.js'

const { server } = scripted()

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
