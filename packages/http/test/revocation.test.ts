// Token revocation (RFC 7009), against scripted answers (msw).
import { OAUTH_SERVER_ERROR, OAUTH_UNSUPPORTED } from '@oauth/core'
import { MemoryTokenStore } from '@oauth/storage-memory'
import { HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { revokeToken, TokenManager } from '../src/index.js'
import { base, scripted } from './fixtures/scripted-server.js'

const { record } = scripted()

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

