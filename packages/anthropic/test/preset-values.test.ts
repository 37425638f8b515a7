// The subscription preset's values, as the authorization URL and config resolution carry them.
// (Against the stand-in: preset.test.ts.)
import { buildAuthorizationUrl, computeCodeChallenge, resolveConfig } from '@oauth/core'
import { describe, expect, it } from 'vitest'
import {
  ANTHROPIC_OAUTH_BETA,
  ANTHROPIC_OAUTH_CONFIG,
  DEFAULT_AUTHORIZE_URL,
  DEFAULT_CLIENT_ID,
  DEFAULT_OAUTH_BETAS,
  DEFAULT_REDIRECT_URI,
  DEFAULT_SCOPES,
  DEFAULT_TOKEN_URL,
  DEFAULT_USER_AGENT,
} from '../src/index.js'

describe('the subscription preset', () => {
  it('builds the Anthropic preset URL with exactly the documented parameters', async () => {
    const { url, oauthState } = await buildAuthorizationUrl(ANTHROPIC_OAUTH_CONFIG)
    const u = new URL(url)
    expect(`${u.origin}${u.pathname}`).toBe(DEFAULT_AUTHORIZE_URL)
    expect([...u.searchParams.keys()]).toEqual([
      'code',
      'client_id',
      'response_type',
      'redirect_uri',
      'scope',
      'code_challenge',
      'code_challenge_method',
      'state',
    ])
    expect(u.searchParams.get('code')).toBe('true')
    expect(u.searchParams.get('client_id')).toBe(DEFAULT_CLIENT_ID)
    expect(u.searchParams.get('response_type')).toBe('code')
    expect(u.searchParams.get('redirect_uri')).toBe(DEFAULT_REDIRECT_URI)
    expect(u.searchParams.get('scope')).toBe(DEFAULT_SCOPES)
    expect(u.searchParams.get('code_challenge_method')).toBe('S256')
    expect(u.searchParams.get('code_challenge')).toBe(await computeCodeChallenge(oauthState.codeVerifier))
    expect(u.searchParams.get('state')).toBe(oauthState.state)
  })

  it('keeps the preset spreadable', async () => {
    const { url } = await buildAuthorizationUrl({ ...ANTHROPIC_OAUTH_CONFIG, redirectUri: 'http://127.0.0.1:1234/callback' })
    const u = new URL(url)
    expect(u.searchParams.get('code')).toBe('true')
    expect(u.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:1234/callback')
  })

  it('resolves to its own JSON wire format, not the standard defaults', () => {
    const c = resolveConfig(ANTHROPIC_OAUTH_CONFIG)
    expect(c.tokenUrl).toBe(DEFAULT_TOKEN_URL)
    expect(c.tokenRequestFormat).toBe('json')
    expect(c.includeStateInTokenRequest).toBe(true)
    expect(c.userAgent).toBe(DEFAULT_USER_AGENT)
    expect(c.tokenRequestHeaders).toEqual({ 'anthropic-beta': ANTHROPIC_OAUTH_BETA })
  })

  it('always includes the OAuth beta first', () => {
    expect(DEFAULT_OAUTH_BETAS[0]).toBe(ANTHROPIC_OAUTH_BETA)
    expect(ANTHROPIC_OAUTH_BETA).toBe('oauth-2025-04-20')
  })
})
