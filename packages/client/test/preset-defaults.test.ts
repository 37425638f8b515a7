// The Python plan's calls without a config (`build_authorization_url(config=None)`, …): core and
// http have no default server, so @oauth/client's re-exports add the subscription preset back.
// What each sends is checked at the stand-in, or at the preset's own URL through a recording
// fetch (no test talks to Anthropic).
import { buildAuthorizationUrl as coreBuildAuthorizationUrl, OAuthPolicyError, parseAuthCode, type OAuthTokens } from '@oauth/core'
import { TokenManager as HttpTokenManager } from '@oauth/http'
import { startAnthropicStandIn, type AnthropicStandIn } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ANTHROPIC_OAUTH_BETA,
  ANTHROPIC_OAUTH_CONFIG,
  buildAuthorizationUrl,
  createOAuthFetch,
  DEFAULT_AUTHORIZE_URL,
  DEFAULT_CLIENT_ID,
  DEFAULT_REDIRECT_URI,
  DEFAULT_TOKEN_URL,
  DEFAULT_USER_AGENT,
  exchangeCodeForTokens,
  refreshAccessToken,
  TokenManager,
} from '../src/index.js'

let standIn: AnthropicStandIn
beforeAll(async () => {
  standIn = await startAnthropicStandIn()
})
afterAll(() => standIn.close())

/** A fetch that records each request and answers like a token endpoint. */
function recordingFetch() {
  const sent: { url: string; headers: Headers; body: unknown }[] = []
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    sent.push({ url: request.url, headers: request.headers, body: JSON.parse(await request.text()) })
    return Response.json({ access_token: 'sk-ant-oat01-x', refresh_token: 'sk-ant-ort01-y', expires_in: 3600, token_type: 'Bearer' })
  }
  return { sent, fetch: fetch as typeof globalThis.fetch }
}

describe('the no-config calls of @oauth/client', () => {
  it('buildAuthorizationUrl() starts a subscription login; core\'s own has no default', async () => {
    const { url } = await buildAuthorizationUrl()
    const u = new URL(url)
    expect(u.origin + u.pathname).toBe(DEFAULT_AUTHORIZE_URL)
    expect(u.searchParams.get('client_id')).toBe(DEFAULT_CLIENT_ID)
    expect(u.searchParams.get('redirect_uri')).toBe(DEFAULT_REDIRECT_URI)
    expect(u.searchParams.get('code')).toBe('true')
    await expect((coreBuildAuthorizationUrl as (c?: unknown) => Promise<unknown>)()).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  })

  it('exchangeCodeForTokens(code, state, oauthState) and refreshAccessToken(refreshToken) send the preset\'s JSON requests to its token endpoint', async () => {
    const { oauthState } = await buildAuthorizationUrl()
    const { sent, fetch } = recordingFetch()
    await exchangeCodeForTokens('the-code', oauthState.state, oauthState, undefined, { fetch, retry: false })
    await refreshAccessToken('sk-ant-ort01-old', undefined, { fetch, retry: false })
    expect(sent.map((r) => r.url)).toEqual([DEFAULT_TOKEN_URL, DEFAULT_TOKEN_URL])
    expect(sent[0]!.body).toMatchObject({ grant_type: 'authorization_code', code: 'the-code', state: oauthState.state, client_id: DEFAULT_CLIENT_ID })
    expect(sent[1]!.body).toEqual({ grant_type: 'refresh_token', refresh_token: 'sk-ant-ort01-old', client_id: DEFAULT_CLIENT_ID })
    for (const request of sent) {
      expect(request.headers.get('anthropic-beta')).toBe(ANTHROPIC_OAUTH_BETA)
      expect(request.headers.get('user-agent')).toBe(DEFAULT_USER_AGENT)
    }
  })

  it('new TokenManager() is on the preset, and is the manager AnthropicOAuth and @oauth/http take', () => {
    const manager = new TokenManager({ oauthTokens: { accessToken: 'a', tokenType: 'Bearer', scope: '' } })
    expect(manager).toBeInstanceOf(HttpTokenManager)
    expect(manager.oauthConfig).toMatchObject({ clientId: DEFAULT_CLIENT_ID, tokenUrl: DEFAULT_TOKEN_URL, authorizeUrl: ANTHROPIC_OAUTH_CONFIG.authorizeUrl })
    expect(() => new HttpTokenManager({} as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }))
  })

  it('createOAuthFetch(manager) adds the Anthropic API\'s extras and policy errors for the preset\'s client, and nothing for another server', async () => {
    const { url, oauthState } = await buildAuthorizationUrl(standIn.config)
    const { code, state } = parseAuthCode(await standIn.approve(url))
    const tokens: OAuthTokens = await exchangeCodeForTokens(code, state, oauthState, standIn.config)
    const before = standIn.apiRequests.length
    const anthropic = createOAuthFetch(new TokenManager({ oauthTokens: tokens, oauthConfig: standIn.config }))
    expect((await anthropic(`${standIn.url}/v1/models`)).status).toBe(200)
    const generic = createOAuthFetch(new TokenManager({ oauthTokens: tokens, oauthConfig: { ...standIn.config, clientId: 'another-client' } }))
    expect((await generic(`${standIn.url}/v1/models`)).status).toBe(200)
    const [signed, plain] = standIn.apiRequests.slice(before)
    expect(String(signed!.headers['anthropic-beta'])).toContain(ANTHROPIC_OAUTH_BETA)
    expect(signed!.query.beta).toBe('true')
    expect(plain!.headers['anthropic-beta']).toBeUndefined()
    expect(plain!.query.beta).toBeUndefined()
    standIn.policy = 'bare'
    try {
      await expect(anthropic(`${standIn.url}/v1/messages`, { method: 'POST', body: '{}' })).rejects.toBeInstanceOf(OAuthPolicyError)
    } finally {
      standIn.policy = undefined
    }
  })
})
