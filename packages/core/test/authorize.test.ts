import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  assertStateMatches,
  buildAuthorizationUrl,
  OAUTH_AUTHORIZATION_DENIED,
  OAUTH_AUTHORIZATION_FAILED,
  OAUTH_INVALID_AUTH_CODE,
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  OAUTH_STATE_MISMATCH,
  OAuthError,
  OAuthFlowError,
  parseAuthCode,
  type OAuthConfig,
} from '../src/index.js'

const generic: OAuthConfig = {
  clientId: 'test-cli',
  authorizeUrl: 'http://127.0.0.1:9999/auth?prompt=consent',
  tokenUrl: 'http://127.0.0.1:9999/token',
  redirectUri: 'http://127.0.0.1/callback',
  scopes: 'openid offline_access',
}

function catchError(fn: () => unknown): OAuthFlowError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(OAuthFlowError)
    expect(err).toBeInstanceOf(OAuthError)
    return err as OAuthFlowError
  }
  throw new Error('expected an OAuthFlowError')
}

describe('buildAuthorizationUrl', () => {
  it('has no default server: without a config it is a TypeError, and nothing is built', async () => {
    await expect((buildAuthorizationUrl as (c?: OAuthConfig) => Promise<unknown>)()).rejects.toMatchObject({
      name: 'TypeError',
      code: ERR_INVALID_ARG_TYPE,
      message: expect.stringContaining('clientId'),
    })
  })

  it('uses a new verifier and a new state every call, and never the verifier as state', async () => {
    const a = await buildAuthorizationUrl(generic)
    const b = await buildAuthorizationUrl(generic)
    expect(a.oauthState.codeVerifier).not.toBe(b.oauthState.codeVerifier)
    expect(a.oauthState.state).not.toBe(b.oauthState.state)
    expect(a.oauthState.state).not.toBe(a.oauthState.codeVerifier)
  })

  it('targets a generic server without Anthropic extras, keeping its own query', async () => {
    const { url } = await buildAuthorizationUrl(generic)
    const u = new URL(url)
    expect(u.origin + u.pathname).toBe('http://127.0.0.1:9999/auth')
    expect(u.searchParams.get('prompt')).toBe('consent')
    expect(u.searchParams.has('code')).toBe(false)
    expect(u.searchParams.get('client_id')).toBe('test-cli')
    expect(u.searchParams.get('scope')).toBe('openid offline_access')
  })

  it('leaves out an empty scope', async () => {
    const { url } = await buildAuthorizationUrl({ ...generic, scopes: '' })
    expect(new URL(url).searchParams.has('scope')).toBe(false)
  })

  it('rejects a config with a missing or non-URL field, naming it', async () => {
    await expect(buildAuthorizationUrl({ ...generic, clientId: '' })).rejects.toMatchObject({
      name: 'TypeError',
      code: ERR_INVALID_ARG_VALUE,
      message: expect.stringContaining('clientId'),
    })
    await expect(buildAuthorizationUrl({ ...generic, authorizeUrl: 'not a url' })).rejects.toMatchObject({
      name: 'TypeError',
      code: ERR_INVALID_ARG_VALUE,
      message: expect.stringContaining('authorizeUrl'),
    })
    await expect(buildAuthorizationUrl({ ...generic, redirectUri: undefined } as unknown as OAuthConfig)).rejects.toMatchObject({
      name: 'TypeError',
      code: ERR_INVALID_ARG_TYPE,
      message: expect.stringContaining('redirectUri'),
    })
  })

  it('needs no token endpoint to start a login: a browser may leave the exchange to its server', async () => {
    const { url } = await buildAuthorizationUrl({ ...generic, tokenUrl: undefined } as unknown as OAuthConfig)
    expect(new URL(url).searchParams.get('client_id')).toBe('test-cli')
  })
})

describe('parseAuthCode', () => {
  it('splits code#state', () => {
    expect(parseAuthCode('abc123#xyz789')).toEqual({ code: 'abc123', state: 'xyz789' })
  })

  it('ignores surrounding white space', () => {
    expect(parseAuthCode('  \tabc#xyz\r\n')).toEqual({ code: 'abc', state: 'xyz' })
  })

  it('accepts a whole callback URL', () => {
    expect(parseAuthCode('http://127.0.0.1:8976/callback?code=a%2Fb&state=s1')).toEqual({ code: 'a/b', state: 's1' })
    expect(parseAuthCode(' https://console.anthropic.com/oauth/code/callback?code=c&state=s \n')).toEqual({ code: 'c', state: 's' })
  })

  it('reports access_denied as the user declining, with the description', () => {
    const err = catchError(() => parseAuthCode('http://127.0.0.1/callback?error=access_denied&error_description=The+user+said+no&state=s'))
    expect(err.code).toBe(OAUTH_AUTHORIZATION_DENIED)
    expect(err.message).toContain('access_denied: The user said no')
  })

  // Glewlwyd 2.7.5 refuses a code flow with scope openid and no nonce this way (seen against
  // the Debian package in the tests' second server).
  it.each([
    ['invalid_request', 'nonce required'],
    ['invalid_scope', 'scope unknown'],
    ['unauthorized_client', 'client may not use code'],
    ['server_error', 'database down'],
    ['temporarily_unavailable', 'try later'],
    ['something_new', 'a code RFC 6749 does not list'],
  ])('reports %s as a failed request, not the user declining, keeping its description', (error, description) => {
    const err = catchError(() => parseAuthCode(`http://127.0.0.1/callback?state=xyz&error=${error}&error_description=${encodeURIComponent(description)}`))
    expect(err.code).toBe(OAUTH_AUTHORIZATION_FAILED)
    expect(err.message).toContain(`${error}: ${description}`)
    expect(err.message).not.toMatch(/declin/)
  })

  it('makes the description safe for a terminal and cuts its length', () => {
    const err = catchError(() =>
      parseAuthCode(`http://127.0.0.1/callback?error=invalid_request&error_description=${encodeURIComponent(`bad\u001b]0;pwned\u0007\u202e ${'x'.repeat(1000)}`)}`),
    )
    expect(err.message).toContain('invalid_request: bad ]0;pwned')
    expect(err.message).not.toMatch(/[^\x20-\x7e]/)
    expect(err.message.length).toBeLessThan(500)
  })

  it('says so when the callback has an empty error', () => {
    const err = catchError(() => parseAuthCode('http://127.0.0.1/callback?error=&state=s'))
    expect(err.code).toBe(OAUTH_AUTHORIZATION_FAILED)
    expect(err.message).toContain('no error code')
  })

  it.each([
    ['an empty string', ''],
    ['only white space', ' \n '],
    ['no state', 'abc'],
    ['an empty state', 'abc#'],
    ['an empty code', '#xyz'],
    ['two hashes', 'a#b#c'],
    ['inner white space', 'ab c#xyz'],
    ['a URL without state', 'http://127.0.0.1/callback?code=abc'],
    ['a URL without code', 'http://127.0.0.1/callback?state=abc'],
  ])('refuses %s with a message saying what was expected', (_, input) => {
    const err = catchError(() => parseAuthCode(input))
    expect(err.code).toBe(OAUTH_INVALID_AUTH_CODE)
    expect(err.message).toContain('code#state')
  })

  it('refuses non-strings as a TypeError (ERR_INVALID_ARG_TYPE), not as an invalid code', () => {
    for (const wrong of [undefined, null, 42, { code: 'a', state: 'b' }]) {
      expect(() => parseAuthCode(wrong as unknown as string)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }))
    }
  })

  it('never echoes what was pasted', () => {
    const secret = 'SECRETCODEVALUE'
    expect(catchError(() => parseAuthCode(`${secret} ${secret}`)).message).not.toContain(secret)
    expect(catchError(() => parseAuthCode(`${secret}#`)).message).not.toContain(secret)
  })

  it('round-trips any code and state without # or white space', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9\-._~]{1,64}$/)
    fc.assert(
      fc.property(part, part, fc.stringMatching(/^\s{0,3}$/), (code, state, pad) => {
        expect(parseAuthCode(`${pad}${code}#${state}${pad}`)).toEqual({ code, state })
        const url = new URL('http://127.0.0.1:1/callback')
        url.searchParams.set('code', code)
        url.searchParams.set('state', state)
        expect(parseAuthCode(url.href)).toEqual({ code, state })
      }),
    )
  })

  it('answers any string with a result or an OAuthFlowError, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (raw) => {
        try {
          const { code, state } = parseAuthCode(raw)
          expect(code.length).toBeGreaterThan(0)
          expect(state.length).toBeGreaterThan(0)
        } catch (err) {
          expect(err).toBeInstanceOf(OAuthFlowError)
        }
      }),
      { numRuns: 500 },
    )
  })
})

describe('assertStateMatches', () => {
  it('passes when the states match', () => {
    expect(() => assertStateMatches({ codeVerifier: 'v', state: 'same' }, 'same')).not.toThrow()
  })

  it.each([['other'], ['sam'], ['same '], ['']])('refuses %j with OAUTH_STATE_MISMATCH', (received) => {
    const err = catchError(() => assertStateMatches({ codeVerifier: 'v', state: 'same' }, received))
    expect(err.code).toBe(OAUTH_STATE_MISMATCH)
    expect(err.message).toMatch(/start the login again/i)
  })
})
