import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  deserializeTokens,
  EXPIRY_BUFFER_SECONDS,
  isExpired,
  OAUTH_INVALID_TOKEN_RESPONSE,
  OAuthError,
  serializeTokens,
  TOKEN_STORE_CORRUPT,
  TokenStorageError,
  toEpochMillis,
  tokensFromResponse,
  type OAuthTokens,
} from '../src/index.js'

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0)

const anthropicResponse = {
  access_token: 'sk-ant-oat01-access',
  refresh_token: 'sk-ant-ort01-refresh',
  expires_in: 28800,
  token_type: 'Bearer',
  scope: 'user:inference user:profile',
  organization: { uuid: 'org-uuid', name: 'Example Org' },
  account: { uuid: 'acct-uuid', email_address: 'dev@example.com' },
}

function invalid(json: unknown): OAuthError {
  try {
    tokensFromResponse(json, NOW)
  } catch (err) {
    expect(err).toBeInstanceOf(OAuthError)
    expect((err as OAuthError).code).toBe(OAUTH_INVALID_TOKEN_RESPONSE)
    return err as OAuthError
  }
  throw new Error('expected OAUTH_INVALID_TOKEN_RESPONSE')
}

describe('tokensFromResponse', () => {
  it('reads the Anthropic token response, with organization and account', () => {
    expect(tokensFromResponse(anthropicResponse, NOW)).toEqual({
      accessToken: 'sk-ant-oat01-access',
      refreshToken: 'sk-ant-ort01-refresh',
      expiresAt: NOW + 28_800_000,
      issuedAt: NOW,
      tokenType: 'Bearer',
      scope: 'user:inference user:profile',
      organization: { uuid: 'org-uuid', name: 'Example Org' },
      account: { uuid: 'acct-uuid', emailAddress: 'dev@example.com' },
    })
  })

  it('reads a minimal RFC 6749 response', () => {
    expect(tokensFromResponse({ access_token: 'a', token_type: 'bearer' }, NOW)).toEqual({
      accessToken: 'a',
      tokenType: 'bearer',
      scope: '',
    })
  })

  it.each([
    ['a missing access_token', { token_type: 'Bearer' }, 'access_token'],
    ['an empty access_token', { access_token: '', token_type: 'Bearer' }, 'access_token'],
    ['a numeric access_token', { access_token: 5, token_type: 'Bearer' }, 'access_token'],
    ['a missing token_type', { access_token: 'a' }, 'token_type'],
    ['a MAC token_type', { access_token: 'a', token_type: 'mac' }, 'token_type'],
    ['a string expires_in', { access_token: 'a', token_type: 'Bearer', expires_in: '3600' }, 'expires_in'],
    ['a negative expires_in', { access_token: 'a', token_type: 'Bearer', expires_in: -1 }, 'expires_in'],
    ['a non-string refresh_token', { access_token: 'a', token_type: 'Bearer', refresh_token: 7 }, 'refresh_token'],
    ['an organization without name', { access_token: 'a', token_type: 'Bearer', organization: { uuid: 'u' } }, 'name'],
    ['an account that is a string', { access_token: 'a', token_type: 'Bearer', account: 'x' }, 'account'],
  ])('refuses %s, naming the field', (_, json, fieldName) => {
    expect(invalid(json).message).toContain(fieldName)
  })

  it.each([[null], [undefined], ['text'], [[]], [42]])('refuses %j as not an object', (json) => {
    expect(invalid(json).message).toContain('JSON object')
  })

  it('never puts a token value in its message', () => {
    const err = invalid({ access_token: 'sk-ant-oat01-SECRET', token_type: 'Bearer', expires_in: 'sk-ant-ort01-SECRET2' })
    expect(err.message).not.toContain('SECRET')
  })

  it('answers arbitrary JSON with tokens or a typed error, never a crash', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ access_token: fc.jsonValue(), token_type: fc.jsonValue(), expires_in: fc.jsonValue() })), (json) => {
        try {
          const tokens = tokensFromResponse(json, NOW)
          expect(typeof tokens.accessToken).toBe('string')
          expect(tokens.accessToken.length).toBeGreaterThan(0)
          if (tokens.expiresAt !== undefined) expect(Number.isFinite(tokens.expiresAt)).toBe(true)
        } catch (err) {
          expect(err).toBeInstanceOf(OAuthError)
          expect((err as OAuthError).code).toBe(OAUTH_INVALID_TOKEN_RESPONSE)
        }
      }),
      { numRuns: 1000 },
    )
  })
})

describe('absurd token responses fail early, typed', () => {
  it('refuses an expires_in beyond ten years, or beyond any date', () => {
    expect(invalid({ ...anthropicResponse, expires_in: 1e20 }).message).toContain('more than ten years')
    expect(invalid({ ...anthropicResponse, expires_in: 11 * 365 * 86_400 }).message).toContain('expires_in')
    expect(tokensFromResponse({ ...anthropicResponse, expires_in: 31_536_000 }, NOW).expiresAt).toBe(NOW + 31_536_000_000)
  })

  it.each([['CR LF', 'sk-ant\r\nX-Injected: 1'], ['NUL', 'sk-ant\u0000x'], ['ESC', 'sk\u001b[2J'], ['non-ASCII', 'sk-ant-é']])('refuses a token with %s in it, without echoing it', (_, bad) => {
    for (const key of ['access_token', 'refresh_token']) {
      const err = invalid({ ...anthropicResponse, [key]: bad })
      expect(err.message).toContain(key)
      expect(err.message).not.toContain(bad)
    }
  })

  it('a stored token with control characters, or an expiry beyond any date, is reported as corrupt', () => {
    const stored = JSON.parse(serializeTokens(tokensFromResponse(anthropicResponse, NOW)))
    for (const bad of [{ ...stored, access_token: 'a\nb' }, { ...stored, refresh_token: 'r\u0000' }, { ...stored, expires_at: 1e300 }]) {
      expect(() => deserializeTokens(JSON.stringify(bad), 'file x')).toThrow(expect.objectContaining({ code: TOKEN_STORE_CORRUPT }))
    }
  })
})

describe('isExpired', () => {
  const at = (expiresAt?: number): OAuthTokens => ({ accessToken: 'a', tokenType: 'Bearer', scope: '', expiresAt })

  it('counts a token as expired from the buffer before expiresAt on', () => {
    const expiresAt = NOW + EXPIRY_BUFFER_SECONDS * 1000
    expect(isExpired(at(expiresAt + 1), NOW)).toBe(false)
    expect(isExpired(at(expiresAt), NOW)).toBe(true)
    expect(isExpired(at(NOW - 1), NOW)).toBe(true)
  })

  it('takes a custom buffer', () => {
    expect(isExpired(at(NOW + 10_000), NOW, 5)).toBe(false)
    expect(isExpired(at(NOW + 10_000), NOW, 10)).toBe(true)
  })

  it('never counts a token without expiresAt as expired', () => {
    expect(isExpired(at(undefined), NOW)).toBe(false)
  })

  it('uses a 300-second buffer', () => {
    expect(EXPIRY_BUFFER_SECONDS).toBe(300)
  })
})

describe('serializeTokens / deserializeTokens', () => {
  const full = tokensFromResponse(anthropicResponse, NOW)

  it('round-trips a full token set', () => {
    expect(deserializeTokens(serializeTokens(full), 'test')).toEqual(full)
  })

  it('writes the Python SDK layout: snake_case, expires_at (and issued_at, when known) in epoch seconds', () => {
    expect(JSON.parse(serializeTokens(full))).toEqual({
      access_token: full.accessToken,
      refresh_token: full.refreshToken,
      expires_at: (NOW + 28_800_000) / 1000,
      issued_at: NOW / 1000,
      refresh_not_before: null,
      token_type: 'Bearer',
      scope: 'user:inference user:profile',
      organization: { uuid: 'org-uuid', name: 'Example Org' },
      account: { uuid: 'acct-uuid', email_address: 'dev@example.com' },
      workspace: null,
    })
  })

  it('reads the Python SDK file, whose empty refresh_token means none', () => {
    const python = '{"access_token": "a", "refresh_token": "", "expires_at": 1800000000.5, "token_type": "bearer", "scope": "", "organization": null, "account": null}'
    expect(deserializeTokens(python, 'test')).toEqual({ accessToken: 'a', tokenType: 'bearer', scope: '', expiresAt: 1_800_000_000_500 })
  })

  it('reads expires_at in milliseconds too', () => {
    expect(deserializeTokens('{"access_token":"a","expires_at":1800000000000}', 'test').expiresAt).toBe(1_800_000_000_000)
  })

  it.each([
    ['empty text', '', 'empty'],
    ['broken JSON', '{"access_token": ', 'not valid JSON'],
    ['an array', '[]', 'JSON object'],
    ['no access_token', '{"refresh_token":"r"}', 'access_token'],
    ['a string expires_at', '{"access_token":"a","expires_at":"soon"}', 'expires_at'],
  ])('refuses %s as TOKEN_STORE_CORRUPT naming the source', (_, text, why) => {
    try {
      deserializeTokens(text, '/home/me/.anthropic/oauth_tokens.json')
      throw new Error('expected TOKEN_STORE_CORRUPT')
    } catch (err) {
      expect(err).toBeInstanceOf(TokenStorageError)
      expect((err as TokenStorageError).code).toBe(TOKEN_STORE_CORRUPT)
      expect((err as Error).message).toContain('/home/me/.anthropic/oauth_tokens.json')
      expect((err as Error).message).toContain(why)
    }
  })

  it('round-trips any token set', () => {
    const str = fc.string({ minLength: 1, maxLength: 40 })
    const tokens = fc.record(
      {
        accessToken: str,
        refreshToken: str,
        expiresAt: fc.integer({ min: 1e12, max: 4e12 }),
        tokenType: str,
        scope: fc.string(),
        organization: fc.record({ uuid: str, name: str }),
        account: fc.record({ uuid: str, emailAddress: str }),
      },
      { requiredKeys: ['accessToken', 'tokenType', 'scope'] },
    )
    fc.assert(
      fc.property(tokens, (t) => {
        expect(deserializeTokens(serializeTokens(t), 'prop')).toEqual(t)
      }),
    )
  })
})

describe('toEpochMillis', () => {
  it('turns seconds into milliseconds and leaves milliseconds alone', () => {
    expect(toEpochMillis(1_800_000_000)).toBe(1_800_000_000_000)
    expect(toEpochMillis(1_800_000_000_000)).toBe(1_800_000_000_000)
  })
})
