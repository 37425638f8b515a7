import { describe, expect, it } from 'vitest'
import {
  isLoopbackUrl,
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  OAuthError,
  OAuthFlowError,
  resolveConfig,
  TokenStorageError,
} from '../src/index.js'

describe('confidential clients', () => {
  const base = { clientId: 'app', authorizeUrl: 'https://id.example/auth', tokenUrl: 'https://id.example/token', redirectUri: 'https://app.example/cb' }
  const secret = 's3cret-value-that-must-not-leak'

  it('takes a loopback redirect on any loopback host and port', () => {
    for (const uri of ['http://localhost/callback', 'http://127.0.0.1:8976/callback', 'http://[::1]/cb']) expect(resolveConfig({ ...base, loopbackRedirectUri: uri }).loopbackRedirectUri).toBe(uri)
  })

  it('picks the authentication method from what is given: a key, a secret, or none', () => {
    expect(resolveConfig(base).clientAuthMethod).toBe('none')
    expect(resolveConfig({ ...base, clientSecret: secret }).clientAuthMethod).toBe('client_secret_basic')
    expect(resolveConfig({ ...base, clientSecret: secret, clientAuthMethod: 'client_secret_post' }).clientAuthMethod).toBe('client_secret_post')
    expect(resolveConfig({ ...base, clientPrivateKey: { kty: 'EC', crv: 'P-256', d: 'x', x: 'y', y: 'z' } }).clientAuthMethod).toBe('private_key_jwt')
  })

  it('refuses a method without what it needs, and an unknown method, before anything is sent', () => {
    for (const bad of [
      { ...base, clientAuthMethod: 'client_secret_basic' as const },
      { ...base, clientAuthMethod: 'client_secret_post' as const },
      { ...base, clientAuthMethod: 'private_key_jwt' as const },
      { ...base, clientAuthMethod: 'tls_client_auth' as never },
      { ...base, clientSecret: '' },
      { ...base, revocationUrl: 'not a url' },
      // The automatic login's listener: refused up front, not later as Node's ERR_INVALID_URL.
      { ...base, loopbackRedirectUri: 'not a url' },
      { ...base, loopbackRedirectUri: 'https://127.0.0.1/callback' },
      { ...base, loopbackRedirectUri: 'http://app.example/callback' },
      { ...base, loopbackRedirectUri: 8976 as never },
    ]) {
      expect(() => resolveConfig(bad)).toThrow(expect.objectContaining({ name: 'TypeError', code: expect.stringMatching(/^ERR_INVALID_ARG_/) }))
    }
  })

  it('keeps the secret and key usable but out of JSON.stringify and util.inspect, also in a spread copy', () => {
    // util.inspect calls this hook (this suite also runs in browsers, so node:util is not imported).
    const inspect = (value: object) => String((value as Record<symbol, () => unknown>)[Symbol.for('nodejs.util.inspect.custom')]?.call(value))
    const key = { kty: 'EC', crv: 'P-256', d: 'private-part-of-the-key-1234567890', x: 'x', y: 'y' }
    const c = resolveConfig({ ...base, clientSecret: secret, clientPrivateKey: key, clientAuthMethod: 'client_secret_post' })
    expect(c.clientSecret).toBe(secret)
    expect(c.clientPrivateKey).toBe(key)
    const copy = { ...c, redirectUri: 'http://127.0.0.1:5000/cb' }
    for (const shown of [JSON.stringify(c), inspect(c), JSON.stringify(copy), inspect(copy), JSON.stringify({ nested: { config: copy } })]) {
      expect(shown).not.toContain(secret)
      expect(shown).not.toContain(key.d)
    }
    expect(JSON.parse(JSON.stringify(c))).toMatchObject({ clientId: 'app', clientSecret: '[redacted]', clientPrivateKey: '[redacted]', clientAuthMethod: 'client_secret_post' })
    // The copy resolves to the same client: the secret came along.
    expect(resolveConfig(copy).clientSecret).toBe(secret)
  })
})

describe('resolveConfig', () => {
  it('has no hidden default: no config is a TypeError that names where Anthropic\'s preset is', () => {
    expect(() => (resolveConfig as (c?: unknown) => unknown)()).toThrow(expect.objectContaining({ name: 'TypeError', code: ERR_INVALID_ARG_TYPE, message: expect.stringContaining('ANTHROPIC_OAUTH_CONFIG in @oauth/anthropic') }))
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
      clientAuthMethod: 'none',
      issuer: undefined,
      revocationUrl: undefined,
      deviceAuthorizationUrl: undefined,
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
