// The Console login of Anthropic's own CLI against the stand-in, which plays it as
// anthropics/anthropic-cli cmd_auth.go shows it, including what it refuses.
import { buildAuthorizationUrl, parseAuthCode, type OAuthConfig, type OAuthTokens } from '@oauth/core'
import { exchangeCodeForTokens, OAuthHttpError, refreshAccessToken } from '@oauth/http'
import { startAnthropicStandIn, type AnthropicStandIn } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ANTHROPIC_CLI_CLIENT_ID, ANTHROPIC_CLI_OAUTH_CONFIG, anthropicCliConfig } from '../src/index.js'

let standIn: AnthropicStandIn
let config: OAuthConfig
beforeAll(async () => {
  standIn = await startAnthropicStandIn()
  standIn.browserAccount = 'console@example.com'
  // The Console and the API on the stand-in's listeners (loopback http is allowed off the public Console).
  config = anthropicCliConfig({ consoleUrl: standIn.platformUrl, baseUrl: standIn.url })
})
afterAll(() => standIn.close())

const noRetry = { retry: false as const }

async function signIn(c: OAuthConfig = config): Promise<OAuthTokens> {
  const { url, oauthState } = await buildAuthorizationUrl(c)
  const { code, state } = parseAuthCode(await standIn.approve(url))
  return exchangeCodeForTokens(code, state, oauthState, c, noRetry)
}

describe('the preset, as cmd_auth.go builds it', () => {
  it('has the CLI client, scopes, hosts and paste page, query included', () => {
    expect(ANTHROPIC_CLI_OAUTH_CONFIG).toMatchObject({
      clientId: '41077d10-94b8-4194-be48-d251e9eb21b4',
      scopes: 'user:profile user:inference user:developer',
      authorizeUrl: 'https://platform.claude.com/oauth/authorize',
      tokenUrl: 'https://api.anthropic.com/v1/oauth/token',
      redirectUri: 'https://platform.claude.com/oauth/code/callback?app=anthropic-cli',
      loopbackRedirectUri: 'http://localhost/callback',
    })
  })

  it('authorizes on the Console with PKCE S256 and a state, without code=true, with the workspace and organization hints', async () => {
    const { url } = await buildAuthorizationUrl(anthropicCliConfig({ workspaceId: 'wrkspc_01', organizationId: 'org-9' }))
    const params = new URL(url).searchParams
    expect(new URL(url).origin + new URL(url).pathname).toBe('https://platform.claude.com/oauth/authorize')
    expect(params.get('code')).toBeNull()
    expect(params.get('code_challenge_method')).toBe('S256')
    expect(params.get('state')).toMatch(/^[\w-]{32,}$/)
    expect(params.get('redirect_uri')).toBe('https://platform.claude.com/oauth/code/callback?app=anthropic-cli')
    expect(params.get('workspace_id')).toBe('wrkspc_01')
    expect(params.get('orgUUID')).toBe('org-9')
  })
})

describe('on the wire, against the stand-in', () => {
  it('exchange: form-encoded with state and no anthropic-beta, at the API host; the answer carries the workspace', async () => {
    const n = standIn.tokenRequests.length
    const tokens = await signIn()
    const exchange = standIn.tokenRequests[n]!
    expect(exchange.host).toBe('api')
    expect(exchange.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/)
    expect(exchange.headers['anthropic-beta']).toBeUndefined()
    expect(exchange.body).toMatchObject({ grant_type: 'authorization_code', client_id: ANTHROPIC_CLI_CLIENT_ID, state: expect.any(String), redirect_uri: `${standIn.platformUrl}/oauth/code/callback?app=anthropic-cli` })
    expect(tokens).toMatchObject({ workspace: { id: 'wrkspc_standin', name: 'Default' }, organization: { name: 'Console Org' }, account: { emailAddress: 'console@example.com' } })
  })

  it('refresh: JSON {grant_type, refresh_token, client_id} with anthropic-beta: oauth-2025-04-20', async () => {
    const tokens = await signIn()
    const n = standIn.tokenRequests.length
    const fresh = await refreshAccessToken(tokens.refreshToken!, config, noRetry)
    expect(fresh.refreshToken).not.toBe(tokens.refreshToken)
    const refresh = standIn.tokenRequests[n]!
    expect(refresh.headers['content-type']).toMatch(/^application\/json/)
    expect(refresh.headers['anthropic-beta']).toBe('oauth-2025-04-20')
    expect(Object.keys(refresh.body as object).sort()).toEqual(['client_id', 'grant_type', 'refresh_token'])
  })

  it('the stand-in refuses what the service refuses: a beta on the exchange, a missing state, the platform host, the paste page without ?app=anthropic-cli', async () => {
    await expect(signIn({ ...config, tokenRequestHeaders: { 'anthropic-beta': 'oauth-2025-04-20' } })).rejects.toMatchObject({ status: 400, error: 'unsupported_grant_type' })
    await expect(signIn({ ...config, includeStateInTokenRequest: false })).rejects.toMatchObject({ status: 400, error: 'invalid_request' })
    await expect(signIn({ ...config, tokenUrl: `${standIn.platformUrl}/v1/oauth/token` })).rejects.toBeInstanceOf(OAuthHttpError)
    const { url } = await buildAuthorizationUrl({ ...config, redirectUri: `${standIn.platformUrl}/oauth/code/callback` })
    await expect(standIn.approve(url)).rejects.toThrow('redirect_uri not supported by client')
  })
})

describe('where a code or refresh token may go', () => {
  it('a login at the public Console is exchanged at api.anthropic.com only', () => {
    expect(() => anthropicCliConfig({ baseUrl: 'https://api.example.com' })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('Refusing to send a code or refresh token') }))
    expect(() => anthropicCliConfig({ baseUrl: 'https://api.anthropic.com/' })).not.toThrow()
  })

  it('elsewhere: https, or http on loopback only', () => {
    expect(() => anthropicCliConfig({ consoleUrl: 'https://console.corp.example', baseUrl: 'http://api.corp.example' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }))
    expect(() => anthropicCliConfig({ consoleUrl: 'http://console.corp.example' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }))
    expect(anthropicCliConfig({ consoleUrl: 'https://console.corp.example', baseUrl: 'https://api.corp.example' }).tokenUrl).toBe('https://api.corp.example/v1/oauth/token')
    expect(anthropicCliConfig({ consoleUrl: 'http://127.0.0.1:8080', baseUrl: 'http://localhost:9090' }).authorizeUrl).toBe('http://127.0.0.1:8080/oauth/authorize')
  })
})
