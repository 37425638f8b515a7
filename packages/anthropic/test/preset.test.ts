// The Anthropic preset against the stand-in, which models the service as public sources show
// it today: the platform token endpoint, the console host's 404, bound one-use codes, rotating
// refresh tokens, invalid_scope on a refresh with a scope, the policy refusals, 429 + Retry-After.
import { buildAuthorizationUrl, OAUTH_INVALID_GRANT, OAUTH_NETWORK_ERROR, OAUTH_RATE_LIMITED, OAUTH_TOKEN_ENDPOINT_ERROR, OAuthPolicyError, type OAuthConfig, type OAuthTokens } from '@oauth/core'
import { freePort, startAnthropicStandIn, type AnthropicStandIn } from '@oauth/test-utils'
import { EXPECTED_POLICY_CODES, POLICY_ANSWERS } from '@oauth/test-utils/anthropic-stand-in'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOAuthFetch, exchangeCodeForTokens, OAuthHttpError, refreshAccessToken, TokenManager } from '@oauth/http'
import { anthropicPolicyError, createAnthropicFetch, DEFAULT_OAUTH_BETAS, DEFAULT_USER_AGENT } from '../src/index.js'

let standIn: AnthropicStandIn
beforeAll(async () => {
  standIn = await startAnthropicStandIn()
})
afterAll(() => standIn.close())

const noRetry = { retry: false as const }

async function signIn(config: OAuthConfig = standIn.config): Promise<OAuthTokens> {
  const { url, oauthState } = await buildAuthorizationUrl(config)
  const pasted = await standIn.approve(url)
  const [code, state] = pasted.split('#') as [string, string]
  return exchangeCodeForTokens(code, state, oauthState, config, noRetry)
}

const since = (n: number) => standIn.tokenRequests.slice(n)

describe('token requests under the preset', () => {
  it('exchange and refresh go to platform.claude.com with anthropic-beta, a JSON body, and no scope on refresh', async () => {
    const n = standIn.tokenRequests.length
    const tokens = await signIn()
    const fresh = await refreshAccessToken(tokens.refreshToken!, standIn.config, noRetry)
    expect(fresh.refreshToken).not.toBe(tokens.refreshToken) // rotated
    const [exchange, refresh] = since(n)
    for (const request of [exchange!, refresh!]) {
      expect(request.host).toBe('platform')
      expect(request.headers['anthropic-beta']).toBe('oauth-2025-04-20')
      expect(request.headers['content-type']).toBe('application/json')
    }
    expect(Object.keys(refresh!.body as object).sort()).toEqual(['client_id', 'grant_type', 'refresh_token'])
  })

  it('the service refuses a refresh that sends scope (invalid_scope), which is why none is ever sent', async () => {
    const tokens = await signIn()
    const res = await fetch(standIn.config.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', client_id: standIn.config.clientId, refresh_token: tokens.refreshToken, scope: 'user:inference' }),
    })
    expect(res.status).toBe(400)
    expect((await res.json()).error).toBe('invalid_scope')
    // The refresh token was not spent by the refused request: the library's own refresh works.
    await expect(refreshAccessToken(tokens.refreshToken!, standIn.config, noRetry)).resolves.toMatchObject({ tokenType: 'Bearer' })
  })

  it('a generic server gets a form-encoded refresh without scope either', async () => {
    let body = ''
    const fetchSpy: typeof fetch = async (_url, init) => {
      body = String(init?.body)
      return Response.json({ access_token: 'at', token_type: 'Bearer', expires_in: 60 })
    }
    const generic = { clientId: 'app', authorizeUrl: 'https://id.example/auth', tokenUrl: 'https://id.example/token', redirectUri: 'https://app.example/cb', scopes: 'openid offline_access' }
    await refreshAccessToken('rt', generic, { ...noRetry, fetch: fetchSpy })
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt', client_id: 'app' })
  })

  it('a code works once: replaying it is invalid_grant', async () => {
    const { url, oauthState } = await buildAuthorizationUrl(standIn.config)
    const [code, state] = (await standIn.approve(url)).split('#') as [string, string]
    await exchangeCodeForTokens(code, state, oauthState, standIn.config, noRetry)
    await expect(exchangeCodeForTokens(code, state, oauthState, standIn.config, noRetry)).rejects.toMatchObject({ code: OAUTH_INVALID_GRANT })
  })

  it('reusing a rotated refresh token revokes the whole login, the newest access token included', async () => {
    const tokens = await signIn()
    const fresh = await refreshAccessToken(tokens.refreshToken!, standIn.config, noRetry)
    const api = () => fetch(`${standIn.url}/v1/models`, { headers: { authorization: `Bearer ${fresh.accessToken}` } })
    expect((await api()).status).toBe(200)
    await expect(refreshAccessToken(tokens.refreshToken!, standIn.config, noRetry)).rejects.toMatchObject({ code: OAUTH_INVALID_GRANT })
    expect((await api()).status).toBe(401)
    await expect(refreshAccessToken(fresh.refreshToken!, standIn.config, noRetry)).rejects.toMatchObject({ code: OAUTH_INVALID_GRANT })
  })

  it('a subscription login is approved on the consumer page, claude.com/cai/oauth/authorize, with code=true', async () => {
    const { url } = await buildAuthorizationUrl(standIn.config)
    expect(url.startsWith(`${standIn.local('https://claude.com/cai/oauth/authorize')}?code=true&`)).toBe(true)
    await standIn.approve(url)
    expect(standIn.authorizeRequests.at(-1)?.host).toBe('claude')
  })

  it("the 2025 plan's claude.ai page refuses Claude Code's client after the consent screen: Invalid request format", async () => {
    const { url } = await buildAuthorizationUrl(standIn.legacyConfig)
    expect(new URL(url).origin).toBe(new URL(standIn.local('https://claude.ai/')).origin)
    await expect(standIn.approve(url)).rejects.toThrow('Invalid request format')
  })

  it("the 2025 plan's console token endpoint cannot sign anyone in: 404, typed", async () => {
    const { url, oauthState } = await buildAuthorizationUrl(standIn.config)
    const [code, state] = (await standIn.approve(url)).split('#') as [string, string]
    const err = await exchangeCodeForTokens(code, state, oauthState, { ...standIn.config, tokenUrl: standIn.legacyConfig.tokenUrl, tokenUrlFallbacks: [] }, noRetry).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OAuthHttpError)
    expect(err).toMatchObject({ code: OAUTH_TOKEN_ENDPOINT_ERROR, status: 404, error: 'not_found_error' })
  })

  it('a 429 with Retry-After is reported as a rate limit with the wait, and retried after it', async () => {
    const tokens = await signIn()
    const limited = { status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } }, headers: { 'retry-after': '1' } }
    standIn.failNextTokenRequests(1, limited)
    await expect(refreshAccessToken(tokens.refreshToken!, standIn.config, noRetry)).rejects.toMatchObject({ code: OAUTH_RATE_LIMITED, retryAfterMs: 1000 })
    standIn.failNextTokenRequests(1, limited)
    const n = standIn.tokenRequests.length
    await expect(refreshAccessToken(tokens.refreshToken!, standIn.config, { retry: { retries: 1 } })).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(since(n)).toHaveLength(2)
  })
})

describe('fallback token endpoints', () => {
  it('after a 404, the next endpoint signs in; the one that answered is used first from then on', async () => {
    const config = { ...standIn.config, tokenUrl: `${standIn.consoleUrl}/v1/oauth/token`, tokenUrlFallbacks: [`${standIn.url}/v1/oauth/token`] }
    const n = standIn.tokenRequests.length
    const tokens = await signIn(config)
    expect(since(n).map((r) => r.host)).toEqual(['console', 'api'])
    await refreshAccessToken(tokens.refreshToken!, config, noRetry)
    expect(since(n).map((r) => r.host)).toEqual(['console', 'api', 'api'])
  })

  it('after a failure to connect, the next endpoint signs in', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/v1/oauth/token`
    const config = { ...standIn.config, tokenUrl: closed, tokenUrlFallbacks: [standIn.config.tokenUrl] }
    const n = standIn.tokenRequests.length
    await expect(signIn(config)).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(since(n).map((r) => r.host)).toEqual(['platform'])
  })

  it('after any other answer (400 invalid_grant), no other endpoint is tried and no second request is made', async () => {
    const config = { ...standIn.config, tokenUrlFallbacks: [`${standIn.url}/v1/oauth/token`, `${standIn.consoleUrl}/v1/oauth/token`] }
    const n = standIn.tokenRequests.length
    await expect(refreshAccessToken('sk-ant-ort01-not-a-real-one', config)).rejects.toMatchObject({ code: OAUTH_INVALID_GRANT })
    expect(since(n).map((r) => r.host)).toEqual(['platform'])
  })

  it('when every endpoint is unreachable, the error says so', async () => {
    const config = { ...standIn.config, tokenUrl: `http://127.0.0.1:${await freePort()}/t`, tokenUrlFallbacks: [`http://127.0.0.1:${await freePort()}/t`] }
    await expect(refreshAccessToken('rt', config, noRetry)).rejects.toMatchObject({ code: OAUTH_NETWORK_ERROR })
  })
})

describe('policy refusals of subscription tokens', () => {
  const modes = Object.keys(POLICY_ANSWERS) as (keyof typeof POLICY_ANSWERS)[]
  const codes = EXPECTED_POLICY_CODES
  // What the message tells the user to do, where the answer has its own advice.
  const advice: Partial<Record<(typeof modes)[number], string>> = { 'out-of-extra-usage': 'add more at claude.ai/settings/usage', 'version-too-old': 'Choose another model' }

  it.each(modes)('createAnthropicFetch: %s is a typed OAuthPolicyError, with no refresh and no retry', async (mode) => {
    const manager = new TokenManager({ oauthTokens: await signIn(), oauthConfig: standIn.config })
    const oauthFetch = createAnthropicFetch(manager)
    const [apiBefore, tokenBefore] = [standIn.apiRequests.length, standIn.tokenRequests.length]
    standIn.policy = mode
    try {
      const err = await oauthFetch(`${standIn.url}/v1/messages`, { method: 'POST', body: '{}' }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(OAuthPolicyError)
      expect(err).toMatchObject({ code: codes[mode], status: POLICY_ANSWERS[mode].status })
      expect((err as Error).message).toContain("Anthropic's terms")
      expect((err as Error).message).toContain(advice[mode] ?? '')
      expect((err as Error).message).not.toMatch(/log in/i)
    } finally {
      standIn.policy = undefined
    }
    expect(standIn.apiRequests.length).toBe(apiBefore + 1)
    expect(standIn.tokenRequests.length).toBe(tokenBefore)
    expect(manager.refreshCount).toBe(0)
  })

  it('other 400s and 401s are not policy refusals; control characters from the server never reach the message', () => {
    expect(anthropicPolicyError(400, '{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: field required"}}')).toBeUndefined()
    expect(anthropicPolicyError(401, '{"type":"error","error":{"type":"authentication_error","message":"Invalid bearer token"}}')).toBeUndefined()
    expect(anthropicPolicyError(500, '{"type":"error","error":{"type":"api_error","message":"Error"}}')).toBeUndefined()
    expect(anthropicPolicyError(400, '<html>Error</html>')).toBeUndefined()
    const err = anthropicPolicyError(400, JSON.stringify({ type: 'error', error: { message: 'Third-party apps now draw from your extra usage\u001b]0;pwned\u0007\r\nFAKE LINE' } }))!
    expect(err.code).toBe('OAUTH_POLICY_EXTRA_USAGE')
    expect(err.message).not.toMatch(/[\u0000-\u001f\u007f]/)
  })
})

describe('network text', () => {
  it("a server's error and error_description reach the message without control characters", async () => {
    standIn.failNextTokenRequests(1, { status: 400, body: { error: 'invalid_request\u001b]0;owned\u0007', error_description: 'bad\r\nFAKE: logged in\u001b[2J' } })
    const err = (await refreshAccessToken('rt', standIn.config, noRetry).catch((e: unknown) => e)) as OAuthHttpError
    expect(err.code).toBe(OAUTH_TOKEN_ENDPOINT_ERROR)
    for (const text of [err.message, err.error!, err.description!]) expect(text).not.toMatch(/[\u0000-\u001f\u007f]/)
  })
})

describe('createAnthropicFetch', () => {
  it('signs API requests with the bearer token, the betas, the preset\'s User-Agent and beta=true, and drops x-api-key', async () => {
    const manager = new TokenManager({ oauthTokens: await signIn(), oauthConfig: standIn.config })
    const before = standIn.apiRequests.length
    const res = await createAnthropicFetch(manager)(`${standIn.url}/v1/messages?x=1`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-api-LEAK', 'anthropic-beta': 'files-api-2025-04-14', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    })
    expect(res.status).toBe(200)
    const req = standIn.apiRequests[before]!
    expect(req.headers.authorization).toBe(`Bearer ${manager.oauthTokens!.accessToken}`)
    expect(req.headers['x-api-key']).toBeUndefined()
    expect(String(req.headers['anthropic-beta']).split(',')).toEqual(['files-api-2025-04-14', ...DEFAULT_OAUTH_BETAS])
    expect(req.headers['user-agent']).toBe(DEFAULT_USER_AGENT)
    expect(req.query).toMatchObject({ x: '1', beta: 'true' })
  })

  it('runs the caller\'s own prepare and check after its own', async () => {
    const manager = new TokenManager({ oauthTokens: await signIn(), oauthConfig: standIn.config })
    const before = standIn.apiRequests.length
    const checked: number[] = []
    const res = await createAnthropicFetch(manager, { betas: [], prepare: (_url, headers) => headers.set('anthropic-beta', 'mine'), check: (r) => (checked.push(r.status), r) })(`${standIn.url}/v1/models`)
    expect(res.status).toBe(200)
    expect(checked).toEqual([200])
    expect(standIn.apiRequests[before]!.headers['anthropic-beta']).toBe('mine')
  })
})

describe('createOAuthFetch and redirects', () => {
  it('replays the request body across a same-origin 307, and again on the retry after a 401', async () => {
    const { createServer } = await import('node:http')
    const seen: string[] = []
    let first401 = true
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d))
      req.on('end', () => {
        if (req.url === '/old') return void res.writeHead(307, { location: '/new' }).end()
        seen.push(body)
        if (first401) {
          first401 = false
          return void res.writeHead(401).end()
        }
        res.writeHead(200, { 'content-type': 'text/plain' }).end(body)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as { port: number }
      const tokens = await signIn()
      const oauthFetch = createOAuthFetch(new TokenManager({ oauthTokens: tokens, oauthConfig: standIn.config }))
      const res = await oauthFetch(`http://127.0.0.1:${port}/old`, { method: 'POST', body: '{"hello":"world"}' })
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('{"hello":"world"}')
      expect(seen).toEqual(['{"hello":"world"}', '{"hello":"world"}'])
    } finally {
      server.close()
    }
  })
})
