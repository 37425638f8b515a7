import { inspect } from 'node:util'
import {
  OAUTH_INSECURE_ENDPOINT,
  OAUTH_INVALID_GRANT,
  OAUTH_INVALID_TOKEN_RESPONSE,
  OAUTH_RATE_LIMITED,
  OAUTH_RESPONSE_LOST,
  OAUTH_SERVER_ERROR,
  OAUTH_STATE_MISMATCH,
  OAUTH_TIMEOUT,
  OAUTH_TOKEN_ENDPOINT_ERROR,
  OAuthError,
  type OAuthConfig,
} from '@oauth/core'
import { delay, http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import httpPackage from '../package.json' with { type: 'json' }
import { DEFAULT_HTTP_USER_AGENT, exchangeCodeForTokens, OAuthHttpError, refreshAccessToken } from '../src/index.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const oauthState = { codeVerifier: 'v'.repeat(86), state: 'the-state' }
const NOW = 1_800_000_000_000
const good = { access_token: 'sk-ant-oat01-NEW', refresh_token: 'sk-ant-ort01-NEW', expires_in: 3600, token_type: 'Bearer', scope: 'user:inference' }
const fast = { retry: { baseDelayMs: 1, maxDelayMs: 50 }, now: () => NOW }

const generic: OAuthConfig = {
  clientId: 'test-cli',
  authorizeUrl: 'https://id.example.com/auth',
  tokenUrl: 'https://id.example.com/token',
  redirectUri: 'http://127.0.0.1/callback',
}

/**
 * A token endpoint with the Anthropic preset's wire format (a JSON body carrying `state`, its own
 * `User-Agent`) on a host of this test: http knows no preset (@oauth/anthropic tests the preset's values).
 */
const json: OAuthConfig = {
  clientId: 'json-cli',
  authorizeUrl: 'https://auth.example.com/authorize',
  tokenUrl: 'https://auth.example.com/v1/oauth/token',
  redirectUri: 'https://auth.example.com/oauth/code/callback',
  tokenRequestFormat: 'json',
  includeStateInTokenRequest: true,
  userAgent: 'json-cli/1.0 (external, cli)',
}

interface Seen {
  contentType: string | null
  userAgent: string | null
  body: string
}

/** Answers the token URL with `responses` in turn (the last one repeats), recording each request. */
function tokenEndpoint(url: string, ...responses: (() => Response | Promise<Response>)[]): Seen[] {
  const seen: Seen[] = []
  server.use(
    http.post(url, async ({ request }) => {
      seen.push({ contentType: request.headers.get('content-type'), userAgent: request.headers.get('user-agent'), body: await request.text() })
      return responses[Math.min(seen.length - 1, responses.length - 1)]!()
    }),
  )
  return seen
}

async function failure(promise: Promise<unknown>): Promise<OAuthHttpError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(OAuthError)
  return err as OAuthHttpError
}

describe('exchangeCodeForTokens', () => {
  it('sends a JSON exchange (the Anthropic wire format) with exactly the documented fields and headers', async () => {
    const seen = tokenEndpoint(json.tokenUrl, () => HttpResponse.json(good))
    const tokens = await exchangeCodeForTokens('the-code', 'the-state', oauthState, json, fast)
    expect(seen).toHaveLength(1)
    expect(seen[0]!.contentType).toBe('application/json')
    expect(seen[0]!.userAgent).toBe(json.userAgent)
    expect(JSON.parse(seen[0]!.body)).toEqual({
      code: 'the-code',
      state: 'the-state',
      grant_type: 'authorization_code',
      client_id: json.clientId,
      redirect_uri: json.redirectUri,
      code_verifier: oauthState.codeVerifier,
    })
    expect(tokens).toEqual({
      accessToken: 'sk-ant-oat01-NEW',
      refreshToken: 'sk-ant-ort01-NEW',
      expiresAt: NOW + 3_600_000,
      issuedAt: NOW,
      tokenType: 'Bearer',
      scope: 'user:inference',
    })
  })

  it('sends a standard form-encoded exchange to a generic server, without state', async () => {
    const seen = tokenEndpoint(generic.tokenUrl, () => HttpResponse.json(good))
    await exchangeCodeForTokens('the-code', 'the-state', oauthState, generic, fast)
    expect(seen[0]!.contentType).toMatch(/^application\/x-www-form-urlencoded/)
    // Ours, with the package's version, not the Anthropic preset's nor oauth4webapi's.
    expect(seen[0]!.userAgent).toBe(`@oauth/http/${httpPackage.version}`)
    expect(seen[0]!.userAgent).toBe(DEFAULT_HTTP_USER_AGENT)
    expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({
      code: 'the-code',
      grant_type: 'authorization_code',
      client_id: 'test-cli',
      redirect_uri: 'http://127.0.0.1/callback',
      code_verifier: oauthState.codeVerifier,
    })
  })

  it('refuses a state mismatch before sending anything', async () => {
    const seen = tokenEndpoint(json.tokenUrl, () => HttpResponse.json(good))
    const err = await failure(exchangeCodeForTokens('the-code', 'another-state', oauthState, json, fast))
    expect(err.code).toBe(OAUTH_STATE_MISMATCH)
    expect(seen).toHaveLength(0)
  })

  it('refuses plain http to a non-loopback host before sending anything', async () => {
    const seen = tokenEndpoint('http://id.example.com/token', () => HttpResponse.json(good))
    const err = await failure(exchangeCodeForTokens('c', 'the-state', oauthState, { ...generic, tokenUrl: 'http://id.example.com/token' }, fast))
    expect(err.code).toBe(OAUTH_INSECURE_ENDPOINT)
    expect(seen).toHaveLength(0)
  })

  it('allows plain http on loopback', async () => {
    tokenEndpoint('http://127.0.0.1:4321/token', () => HttpResponse.json(good))
    const tokens = await exchangeCodeForTokens('c', 'the-state', oauthState, { ...generic, tokenUrl: 'http://127.0.0.1:4321/token' }, fast)
    expect(tokens.accessToken).toBe('sk-ant-oat01-NEW')
  })

  it('never retries a spent code that was refused', async () => {
    const seen = tokenEndpoint(json.tokenUrl, () => HttpResponse.json({ error: 'invalid_grant', error_description: 'code already used' }, { status: 400 }))
    const err = await failure(exchangeCodeForTokens('c', 'the-state', oauthState, json, fast))
    expect(err.code).toBe(OAUTH_INVALID_GRANT)
    expect(err.message).toMatch(/log in again/i)
    expect(seen).toHaveLength(1)
  })
})

describe('refreshAccessToken', () => {
  it('sends the Anthropic preset refresh as JSON', async () => {
    const seen = tokenEndpoint(json.tokenUrl, () => HttpResponse.json(good))
    await refreshAccessToken('sk-ant-ort01-OLD', json, fast)
    expect(seen[0]!.contentType).toBe('application/json')
    expect(seen[0]!.userAgent).toBe(json.userAgent)
    expect(JSON.parse(seen[0]!.body)).toEqual({ grant_type: 'refresh_token', client_id: json.clientId, refresh_token: 'sk-ant-ort01-OLD' })
  })

  it('sends a standard form-encoded refresh to a generic server', async () => {
    const seen = tokenEndpoint(generic.tokenUrl, () => HttpResponse.json(good))
    await refreshAccessToken('rt-old', generic, fast)
    expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({ grant_type: 'refresh_token', client_id: 'test-cli', refresh_token: 'rt-old' })
  })

  it('keeps the old refresh token when the response has none', async () => {
    tokenEndpoint(json.tokenUrl, () => HttpResponse.json({ access_token: 'at2', token_type: 'Bearer', expires_in: 60 }))
    expect((await refreshAccessToken('rt-keep', json, fast)).refreshToken).toBe('rt-keep')
  })

  it('reads invalid_grant in the RFC 6749 shape as "log in again", not retried', async () => {
    const seen = tokenEndpoint(json.tokenUrl, () => HttpResponse.json({ error: 'invalid_grant', error_description: 'Refresh token not found or invalid' }, { status: 400 }))
    const err = await failure(refreshAccessToken('rt', json, fast))
    expect(err).toBeInstanceOf(OAuthHttpError)
    expect(err).toMatchObject({ code: OAUTH_INVALID_GRANT, status: 400, error: 'invalid_grant', description: 'Refresh token not found or invalid', retryable: false })
    expect(seen).toHaveLength(1)
  })

  it('reads the Anthropic error shape, retries the rate limit and reports it as a rate limit', async () => {
    const seen = tokenEndpoint(json.tokenUrl, () => HttpResponse.json({ type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } }, { status: 429 }))
    const err = await failure(refreshAccessToken('rt', json, { ...fast, retry: { retries: 2, baseDelayMs: 1 } }))
    expect(err).toMatchObject({ code: OAUTH_RATE_LIMITED, status: 429, error: 'rate_limit_error', description: 'Rate limited', retryable: true })
    expect(err.message).not.toMatch(/log in/i)
    expect(seen).toHaveLength(3)
  })

  it('waits as long as Retry-After says, then succeeds', async () => {
    const seen = tokenEndpoint(
      json.tokenUrl,
      () => HttpResponse.json({ error: 'rate_limited' }, { status: 429, headers: { 'retry-after': '1' } }),
      () => HttpResponse.json(good),
    )
    const started = performance.now()
    const tokens = await refreshAccessToken('rt', json, { retry: { maxDelayMs: 5000 } })
    expect(performance.now() - started).toBeGreaterThanOrEqual(950)
    expect(tokens.accessToken).toBe('sk-ant-oat01-NEW')
    expect(seen).toHaveLength(2)
  })

  it('does not wait for a Retry-After beyond the policy maximum', async () => {
    const seen = tokenEndpoint(json.tokenUrl, () => HttpResponse.json({ error: 'slow_down' }, { status: 429, headers: { 'retry-after': '3600' } }))
    const err = await failure(refreshAccessToken('rt', json, { retry: { maxDelayMs: 1000 } }))
    expect(err).toMatchObject({ code: OAUTH_RATE_LIMITED, retryAfterMs: 3_600_000 })
    expect(err.message).toContain('3600 s')
    expect(seen).toHaveLength(1)
  })

  it('reports an HTML 502 page as a server error after retrying', async () => {
    const seen = tokenEndpoint(json.tokenUrl, () => new HttpResponse('<html><body>Bad gateway</body></html>', { status: 502, headers: { 'content-type': 'text/html' } }))
    const err = await failure(refreshAccessToken('rt', json, { ...fast, retry: { retries: 1, baseDelayMs: 1 } }))
    expect(err).toMatchObject({ code: OAUTH_SERVER_ERROR, status: 502, error: undefined, retryable: true })
    expect(err.message).toContain('text/html')
    expect(seen).toHaveLength(2)
  })

  it('recovers from one 503', async () => {
    const seen = tokenEndpoint(json.tokenUrl, () => new HttpResponse('busy', { status: 503 }), () => HttpResponse.json(good))
    expect((await refreshAccessToken('rt', json, fast)).accessToken).toBe('sk-ant-oat01-NEW')
    expect(seen).toHaveLength(2)
  })

  it('reports other 4xx answers as endpoint errors, not retried', async () => {
    const seen = tokenEndpoint(json.tokenUrl, () => HttpResponse.json({ error: 'invalid_client' }, { status: 401 }))
    const err = await failure(refreshAccessToken('rt', json, fast))
    expect(err).toMatchObject({ code: OAUTH_TOKEN_ENDPOINT_ERROR, status: 401, error: 'invalid_client', retryable: false })
    expect(seen).toHaveLength(1)
  })

  it('does not re-send a refresh that timed out', async () => {
    const seen = tokenEndpoint(json.tokenUrl, async () => {
      await delay('infinite')
      return HttpResponse.json(good)
    })
    const err = await failure(refreshAccessToken('rt', json, { ...fast, timeoutMs: 200 }))
    expect(err).toMatchObject({ code: OAUTH_TIMEOUT, retryable: false })
    expect(seen).toHaveLength(1)
  })

  it('treats a redirect from the token endpoint as an error, without following it', async () => {
    const seen = tokenEndpoint(json.tokenUrl, () => new HttpResponse(null, { status: 302, headers: { location: 'https://evil.example.com/token' } }))
    const err = await failure(refreshAccessToken('rt', json, fast))
    expect(err).toMatchObject({ code: OAUTH_TOKEN_ENDPOINT_ERROR, status: 302 })
    expect(err.message).toContain('redirect')
    expect(seen).toHaveLength(1)
  })

  it('refuses a 200 that is not JSON', async () => {
    tokenEndpoint(json.tokenUrl, () => new HttpResponse('<html>login</html>', { status: 200, headers: { 'content-type': 'text/html' } }))
    const err = await failure(refreshAccessToken('rt', json, fast))
    expect(err.code).toBe(OAUTH_INVALID_TOKEN_RESPONSE)
    expect(err.message).toContain('text/html')
  })

  it('refuses a response missing access_token, naming the field', async () => {
    tokenEndpoint(json.tokenUrl, () => HttpResponse.json({ token_type: 'Bearer', refresh_token: 'sk-ant-ort01-LEAK' }))
    const err = await failure(refreshAccessToken('rt', json, fast))
    expect(err.code).toBe(OAUTH_INVALID_TOKEN_RESPONSE)
    expect(err.message).toContain('access_token')
    expect(inspect(err, { depth: 10 })).not.toContain('LEAK')
  })

  it('refuses a response larger than the cap', async () => {
    tokenEndpoint(json.tokenUrl, () => HttpResponse.json({ ...good, padding: 'x'.repeat(200_000) }))
    const err = await failure(refreshAccessToken('rt', json, { ...fast, maxResponseBytes: 100_000 }))
    expect(err.code).toBe(OAUTH_INVALID_TOKEN_RESPONSE)
    expect(err.message).toContain('100000 bytes')
  })

  it('refuses a streamed response without Content-Length once it passes the cap', async () => {
    tokenEndpoint(json.tokenUrl, () => {
      const chunk = new TextEncoder().encode('x'.repeat(10_000))
      let sent = 0
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 50) controller.enqueue(chunk)
          else controller.close()
        },
      })
      return new HttpResponse(body, { status: 200, headers: { 'content-type': 'application/json' } })
    })
    const err = await failure(refreshAccessToken('rt', json, { ...fast, maxResponseBytes: 100_000 }))
    expect(err.code).toBe(OAUTH_INVALID_TOKEN_RESPONSE)
  })

  it('keeps tokens out of every error and its inspection', async () => {
    tokenEndpoint(json.tokenUrl, () => HttpResponse.json({ error: 'invalid_grant', access_token: 'sk-ant-oat01-LEAK' }, { status: 400 }))
    const err = await failure(refreshAccessToken('sk-ant-ort01-SECRET', json, fast))
    const shown = `${err.message}\n${inspect(err, { depth: 10 })}\n${JSON.stringify(err)}`
    expect(shown).not.toContain('LEAK')
    expect(shown).not.toContain('SECRET')
  })

  it('uses the spread preset with another token URL, keeping its JSON format', async () => {
    const seen = tokenEndpoint('http://127.0.0.1:5555/v1/oauth/token', () => HttpResponse.json(good))
    await refreshAccessToken('rt', { ...json, tokenUrl: 'http://127.0.0.1:5555/v1/oauth/token' }, fast)
    expect(seen[0]!.contentType).toBe('application/json')
  })
})

describe('an abort while waiting to retry', () => {
  it('is the typed error an abort during the request is (OAUTH_RESPONSE_LOST, "aborted by the caller"), never a raw AbortError', async () => {
    // Retry-After: 5 makes the wait 5 s exactly; the caller gives up 100 ms into it.
    const seen = tokenEndpoint(json.tokenUrl, () => new HttpResponse('busy', { status: 503, headers: { 'retry-after': '5' } }))
    const caller = new AbortController()
    setTimeout(() => caller.abort(), 100)
    const err = await failure(refreshAccessToken('rt', json, { signal: caller.signal }))
    expect(err).toBeInstanceOf(OAuthHttpError)
    expect(err).toMatchObject({ code: OAUTH_RESPONSE_LOST, message: expect.stringContaining('aborted by the caller') })
    expect(seen).toHaveLength(1)
  })
})
