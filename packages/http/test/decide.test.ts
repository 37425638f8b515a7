// The manager's timing policy as a table: what a caller gets for each state of the tokens.
import type { OAuthTokens } from '@oauth/core'
import { describe, expect, it } from 'vitest'
import { decide, type Decision } from '../src/decide.js'

const NOW = 1_800_000_000_000
const policy = { bufferSeconds: 300, minValidityMs: 30_000 }
const hour = (expiresInMs: number, extra: Partial<OAuthTokens> = {}): OAuthTokens => ({
  accessToken: 'at',
  refreshToken: 'rt',
  tokenType: 'Bearer',
  scope: '',
  issuedAt: NOW + expiresInMs - 3_600_000,
  expiresAt: NOW + expiresInMs,
  ...extra,
})

describe('decide', () => {
  const rows: [string, OAuthTokens, Decision][] = [
    ['an hour-long token with 10 min left is fresh', hour(600_000), 'fresh'],
    ['inside the 300 s buffer, still valid for more than 30 s: refreshed in the background', hour(200_000), 'background'],
    ['30 s or less left: callers wait for the refresh', hour(30_000), 'wait'],
    ['expired: callers wait for the refresh', hour(-1_000), 'wait'],
    ['no expiry at all is fresh', { accessToken: 'at', tokenType: 'Bearer', scope: '' }, 'fresh'],
    ['a long-lived login (no refresh token) is used until it ends', hour(10_000, { refreshToken: undefined }), 'fresh'],
    ['a long-lived login that ended goes to the refresh path (which says it cannot be renewed)', hour(-1, { refreshToken: undefined }), 'wait'],
    ['a cooldown after a 429 while the token works: served as it is', hour(10_000, { refreshNotBefore: NOW + 5_000 }), 'fresh'],
    ['a cooldown after a 429 and the token has ended: nothing to serve, nothing sent', hour(-1_000, { refreshNotBefore: NOW + 5_000 }), 'cooldown'],
    ['a cooldown that has run out: the usual rule', hour(10_000, { refreshNotBefore: NOW - 1 }), 'wait'],
    // A 60 s token: the buffer is a quarter of its life (15 s), the wait threshold a tenth (6 s).
    ['a 60 s token with 20 s left is fresh', { ...hour(0), issuedAt: NOW - 40_000, expiresAt: NOW + 20_000 }, 'fresh'],
    ['a 60 s token with 10 s left is refreshed in the background', { ...hour(0), issuedAt: NOW - 50_000, expiresAt: NOW + 10_000 }, 'background'],
    ['a 60 s token with 5 s left makes callers wait', { ...hour(0), issuedAt: NOW - 55_000, expiresAt: NOW + 5_000 }, 'wait'],
  ]
  it.each(rows)('%s', (_, tokens, expected) => {
    expect(decide(tokens, NOW, policy)).toBe(expected)
  })
})
