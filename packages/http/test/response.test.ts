// processTokenResponse: the processing half of a token request, for programs that send the
// request with a transport of their own.
import { OAUTH_INVALID_GRANT, OAUTH_INVALID_TOKEN_RESPONSE, OAUTH_RATE_LIMITED } from '@oauth/core'
import { describe, expect, it } from 'vitest'
import { OAuthHttpError, processTokenResponse } from '../src/index.js'

const NOW = 1_800_000_000_000

describe('processTokenResponse', () => {
  it('reads the tokens of a 200, with expiresAt from the clock given', async () => {
    const response = Response.json({ access_token: 'at', refresh_token: 'rt', expires_in: 60, token_type: 'Bearer', scope: 'openid' })
    await expect(processTokenResponse(response, { now: NOW })).resolves.toEqual({ accessToken: 'at', refreshToken: 'rt', expiresAt: NOW + 60_000, issuedAt: NOW, tokenType: 'Bearer', scope: 'openid' })
  })

  it('turns a refusal into our typed error, never carrying the credential a server echoed', async () => {
    const echoed = Response.json({ error: 'invalid_grant', error_description: 'refresh token rt-secret-123456 was revoked' }, { status: 400 })
    const err = await processTokenResponse(echoed, { secrets: ['rt-secret-123456'], origin: 'https://id.example.com' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OAuthHttpError)
    expect(err).toMatchObject({ code: OAUTH_INVALID_GRANT, status: 400 })
    expect(JSON.stringify(err) + (err as Error).message).not.toContain('rt-secret-123456')
    const limited = new Response('{"error":"slow_down"}', { status: 429, headers: { 'retry-after': '7' } })
    await expect(processTokenResponse(limited)).rejects.toMatchObject({ code: OAUTH_RATE_LIMITED, retryAfterMs: 7000 })
  })

  it('refuses a 200 that is not JSON, naming what it was', async () => {
    const html = new Response('<html>login</html>', { status: 200, headers: { 'content-type': 'text/html' } })
    await expect(processTokenResponse(html)).rejects.toMatchObject({ code: OAUTH_INVALID_TOKEN_RESPONSE, message: expect.stringContaining('text/html') })
  })
})
