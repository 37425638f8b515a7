// Client authentication on the wire (none, client_secret_basic, client_secret_post, private_key_jwt),
// the secrets it sends scrubbed from every answer, and answers that say nothing, against scripted
// answers (msw). The same things run against a real second server in integration/glewlwyd.test.ts.
import { inspect } from 'node:util'
import { OAUTH_TOKEN_ENDPOINT_ERROR } from '@oauth/core'
import { HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { refreshAccessToken, TokenManager } from '../src/index.js'
import { base, good, ISSUER, noRetry, scripted, SECRET } from './fixtures/scripted-server.js'

const { record } = scripted()

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

