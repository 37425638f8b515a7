import { describe, expect, it } from 'vitest'
import {
  ANTHROPIC_OAUTH_CONFIG,
  isLoopbackUrl,
  DEFAULT_OAUTH_BETAS,
  DEFAULT_TOKEN_URL,
  DEFAULT_USER_AGENT,
  ANTHROPIC_OAUTH_BETA,
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  OAuthError,
  OAuthFlowError,
  resolveConfig,
  TokenStorageError,
} from '../src/index.js'

describe('resolveConfig', () => {
  it('gives the Anthropic preset, with its JSON wire format, when no config is passed', () => {
    const c = resolveConfig()
    expect(c).toBe(ANTHROPIC_OAUTH_CONFIG)
    expect(c.tokenUrl).toBe(DEFAULT_TOKEN_URL)
    expect(c.tokenRequestFormat).toBe('json')
    expect(c.includeStateInTokenRequest).toBe(true)
    expect(c.userAgent).toBe(DEFAULT_USER_AGENT)
  })

  it('gives a generic server standard RFC 6749 defaults, never the preset extras', () => {
    const c = resolveConfig({
      clientId: 'app',
      authorizeUrl: 'https://id.example/auth',
      tokenUrl: 'https://id.example/token',
      redirectUri: 'https://app.example/cb',
    })
    expect(c).toEqual({
      clientId: 'app',
      authorizeUrl: 'https://id.example/auth',
      tokenUrl: 'https://id.example/token',
      tokenUrlFallbacks: [],
      redirectUri: 'https://app.example/cb',
      loopbackRedirectUri: undefined,
      scopes: '',
      tokenRequestFormat: 'form',
      includeStateInTokenRequest: false,
      tokenRequestHeaders: {},
      authorizeParams: {},
      userAgent: undefined,
    })
  })

  it('refuses something that is not a config with a TypeError (ERR_INVALID_ARG_TYPE), as oauth4webapi does', () => {
    for (const bad of [null, 'config', 42]) {
      expect(() => resolveConfig(bad as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: ERR_INVALID_ARG_TYPE }))
    }
    expect(() => resolveConfig({ clientId: 'app', authorizeUrl: 'x', tokenUrl: 'https://id.example/t', redirectUri: 'https://app.example/cb' })).toThrow(
      expect.objectContaining({ name: 'TypeError', code: ERR_INVALID_ARG_VALUE, message: expect.stringContaining('authorizeUrl') }),
    )
  })
})

describe('the Anthropic preset', () => {
  it('always includes the OAuth beta first', () => {
    expect(DEFAULT_OAUTH_BETAS[0]).toBe(ANTHROPIC_OAUTH_BETA)
    expect(ANTHROPIC_OAUTH_BETA).toBe('oauth-2025-04-20')
  })
})

describe('errors', () => {
  it('carry a stable code, a name, and the cause', () => {
    const cause = new Error('underlying')
    const err = new TokenStorageError('TOKEN_STORE_CORRUPT', 'broken', { cause })
    expect(err).toBeInstanceOf(OAuthError)
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('TokenStorageError')
    expect(err.code).toBe('TOKEN_STORE_CORRUPT')
    expect(err.cause).toBe(cause)
    expect(new OAuthFlowError('X', 'm').name).toBe('OAuthFlowError')
    expect(new OAuthError('X', 'm').name).toBe('OAuthError')
  })
})

describe('resolveConfig is done once', () => {
  it('returns a config it resolved as it is, without checking or copying it again', () => {
    const generic = { clientId: 'app', authorizeUrl: 'https://id.example/a', tokenUrl: 'https://id.example/t', redirectUri: 'https://app.example/cb' }
    const resolved = resolveConfig(generic)
    expect(resolveConfig(resolved)).toBe(resolved)
    expect(resolveConfig(ANTHROPIC_OAUTH_CONFIG)).toBe(ANTHROPIC_OAUTH_CONFIG)
    // An unresolved config with the same fields is a new object: only this module's results pass through.
    expect(resolveConfig({ ...resolved })).not.toBe(resolved)
  })
})

describe('isLoopbackUrl: one rule for the token endpoint and the loopback redirect', () => {
  it('is this machine for localhost, [::1] and all of 127.0.0.0/8, and nothing else', () => {
    for (const url of ['http://localhost:8080/cb', 'http://[::1]/cb', 'http://127.0.0.1/cb', 'http://127.1.2.3:9/t']) expect(isLoopbackUrl(new URL(url)), url).toBe(true)
    for (const url of ['http://localhost.example.com/cb', 'http://128.0.0.1/cb', 'http://127.0.0.1.nip.io/cb', 'http://[::2]/cb', 'http://10.0.0.1/cb']) expect(isLoopbackUrl(new URL(url)), url).toBe(false)
  })
})
