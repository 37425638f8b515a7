// Non-standard refusals of a spent refresh token (refusals.ts), through the manager, against
// scripted answers (msw).
import { OAUTH_INVALID_GRANT, OAUTH_TOKEN_ENDPOINT_ERROR, type OAuthTokens } from '@oauth/core'
import { MemoryTokenStore } from '@oauth/storage-memory'
import { HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { TokenManager } from '../src/index.js'
import { base, noRetry, scripted } from './fixtures/scripted-server.js'

const { record } = scripted()

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

