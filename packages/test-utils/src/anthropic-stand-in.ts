// A local stand-in for Anthropic's OAuth service and Messages API, on 127.0.0.1, modelled on
// how public sources show the service behaving in late 2026, not on our own code:
//
// - Five hosts, each its own listener; `local(url)` maps a real URL to its listener, so a config
//   made from the preset's real URLs reaches the stand-in's page for the same host.
//   `platform` (platform.claude.com) holds the token endpoint for both grants and the Console's
//   authorization page `/oauth/authorize`. `claude` (claude.com) holds the subscription (Pro/Max)
//   authorization page `/cai/oauth/authorize`. `claude-ai` (claude.ai), the 2025 plan's page, shows
//   the consent screen and then answers "Invalid request format" to Claude Code's client
//   (Claude Code's production config: CLAUDE_AI_AUTHORIZE_URL https://claude.com/cai/oauth/authorize,
//   CONSOLE_AUTHORIZE_URL https://platform.claude.com/oauth/authorize, decompiled in
//   mangowhoiscloud/geode#1232, 2026-05-17; the refusal on claude.ai there and in
//   Wei-Shaw/claude-relay-service#1218, 2026-06-20, whose fix was the platform host, so the
//   platform page accepts subscription logins too).
//   `api` (api.anthropic.com) holds the Messages API and a token endpoint too, where the
//   official SDK refreshes `user_oauth` profiles (@anthropic-ai/sdk 1.12.0 user-oauth.ts).
//   `console` (console.anthropic.com, the 2025 plan's host) answers every request with
//   404 {"type":"error","error":{"type":"not_found_error","message":"Not found"}}
//   (Wei-Shaw/claude-relay-service#1207, since 2026-06-12).
// - Codes are bound to the redirect URI, the PKCE challenge and the state they were issued
//   for, and work once. Redirect URIs allowed: https://platform.claude.com/oauth/code/callback
//   (the paste page) and http://localhost:<any port>/callback (the CLI's loopback server).
// - Refresh tokens rotate; reusing a rotated one revokes the whole login, its access tokens
//   included (anthropics/claude-code issue 53063 quoted in ID-Robots/clawbox#936: every refresh
//   returns a new refresh token; rotation reuse as rotating servers do it).
//   Unknown or revoked: 400 {"error":"invalid_grant","error_description":"Refresh token not found
//   or invalid"} (ex-machina-co/opencode-anthropic-auth#162, #169).
// - A refresh that sends `scope` is refused: 400 {"error":"invalid_scope", …} (earendil-works/pi#2357).
// - An exchange with `expires_in` (the long-lived `setup-token` login, scope user:inference)
//   gets a token of that lifetime and no refresh token (manaflow-ai/subrouter#305). What the
//   service does with `expires_in` on a full-scope login is not shown by any source we found.
// - Policy refusals of the Messages API, one mode at a time (see `policy`), with the bodies
//   the issue threads quote; a 429 with Retry-After on the token endpoint (`failNextTokenRequests`).
// - Accounts (`accounts`, by email): the browser is signed in to one (`browserAccount`), and the
//   authorization page signs in as that one unless the request says `prompt=select_account`,
//   when the user picks (`approve(url, { account })`, else the `login_hint`, else the session's).
//   What the real page does with `login_hint` alone is not shown by any public source: it is
//   recorded and otherwise ignored here, the conservative reading.
// - The account endpoints on the API host, with the access token and the OAuth beta:
//   `GET /api/oauth/profile` ({account: {uuid, email, display_name, has_claude_max, has_claude_pro},
//   organization: {uuid, name, organization_type, rate_limit_tier, billing_type}}; router-for-me/CLIProxyAPI#5083)
//   and `GET /api/oauth/usage` ({five_hour: {utilization, resets_at}, seven_day, seven_day_opus, …,
//   extra_usage}; OmegAshEnr01n/GnomeCodexBar). Both refuse a token without `user:profile` with 403
//   permission_error "OAuth token does not meet scope requirement …" (alp82/curia#162 for the profile's
//   any_of(user:profile, user:office); getpaseo/paseo#4092 for the usage endpoint's details). One
//   source saw the usage endpoint answer such tokens 429 at the edge instead (alp82/curia#162):
//   `usageFailure` models that.
// - `POST /api/oauth/claude_cli/create_api_key` answers {raw_key} (anomalyco/opencode-anthropic-auth).
//   It refuses a token without `org:create_api_key` with the same 403 shape, and a subscription
//   organization (organization_type claude_*) with 403 permission_error: both by analogy, as no
//   source shows those refusals. Keys it made are accepted by the Messages API, as `x-api-key`
//   or as a bearer token (@anthropic-ai/sdk 1.12.0 sends `apiKey` as `Authorization: Bearer`).
// - The Console login of Anthropic's own CLI (`ant auth login`, anthropics/anthropic-cli
//   pkg/cmd/cmd_auth.go, release 1.20.0 of 2026-07-23): client 41077d10-…, scopes
//   `user:profile user:inference user:developer`, authorized on the platform host with the paste
//   page `https://platform.claude.com/oauth/code/callback?app=anthropic-cli` (the query is part of
//   the registered redirect: without it, "redirect_uri not supported by client") or a loopback
//   `http://localhost:<port>/callback`. Its token requests go to the API host only (at the platform
//   host the client is unknown here). The exchange is form-encoded with `state` (missing: 400
//   `oauth_request_parse_error`) and without `anthropic-beta` (a beta routes it to the federation
//   backend, which only implements jwt-bearer: refused). The refresh is JSON with
//   `anthropic-beta: oauth-2025-04-20` (the oauth server requires that beta for user_oauth
//   refreshes). Its answers carry `workspace {id, name}`, the one named by `workspace_id` at the
//   authorization page, else the Console's picker's (here `wrkspc_standin`, "Default").
// - Every request is recorded with its headers. The stand-in does not refuse a token request
//   without `anthropic-beta`: no public source shows the service doing so.
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
// By path, not as a package dependency: @oauth/anthropic's own tests use this stand-in, and a
// dependency back on it would be a cycle (pnpm and turbo both refuse to order one).
import { ANTHROPIC_OAUTH_CONFIG, DEFAULT_SCOPES, LEGACY_ANTHROPIC_OAUTH_CONFIG } from '../../anthropic/src/preset.js'
import {
  OAUTH_POLICY_CLAUDE_CODE_ONLY,
  OAUTH_POLICY_CLIENT_VERSION,
  OAUTH_POLICY_EXTRA_USAGE,
  OAUTH_POLICY_OAUTH_UNSUPPORTED,
  OAUTH_POLICY_REFUSED,
  type OAuthConfig,
} from '@oauth/core'

export type StandInHost = 'platform' | 'api' | 'console' | 'claude' | 'claude-ai'

/** The real origin of each host the stand-in plays. */
const ORIGINS: Record<StandInHost, string> = {
  platform: 'https://platform.claude.com',
  api: 'https://api.anthropic.com',
  console: 'https://console.anthropic.com',
  claude: 'https://claude.com',
  'claude-ai': 'https://claude.ai',
}
// Written from the sources, not imported from the preset, so that a regression in the preset fails:
// Claude Code's public client and its paste page (CLIENT_ID and MANUAL_REDIRECT_URL in geode#1232).
const CLAUDE_CODE_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e'
const PASTE_PAGE = 'https://platform.claude.com/oauth/code/callback'
// Anthropic's CLI (`oauthClientIDProd`, `oauthScope` and manualRedirectURIForAuthorize in cmd_auth.go).
const ANT_CLI_CLIENT_ID = '41077d10-94b8-4194-be48-d251e9eb21b4'
const ANT_CLI_SCOPES = ['user:profile', 'user:inference', 'user:developer']
const ANT_CLI_PASTE_PAGE = 'https://platform.claude.com/oauth/code/callback?app=anthropic-cli'
const DEFAULT_WORKSPACE = { id: 'wrkspc_standin', name: 'Default' }

export interface RecordedRequest {
  host: StandInHost
  method: string
  path: string
  /** The status the stand-in answered a token request with (absent while unanswered). */
  status?: number
  query: Record<string, string>
  headers: Record<string, string | string[] | undefined>
  body: unknown
}

/** The Messages API's answers to subscription tokens used outside Anthropic's apps, as issue threads quote them. */
export const POLICY_ANSWERS = {
  // anthropics/claude-code#45911 (2026-04)
  'extra-usage': {
    status: 400,
    message: "Third-party apps now draw from your extra usage, not your plan limits. We've added a $100 credit to get you started. Claim it at claude.ai/settings/usage and keep going.",
  },
  // anthropics/claude-code#24198 (2026-02)
  'claude-code-only': { status: 400, message: 'This credential is only authorized for use with Claude Code and cannot be used for other API requests.' },
  // bytedance/deer-flow#1245 (2026-03)
  bare: { status: 400, message: 'Error' },
  // anthropics/anthropic-sdk-python#988 (2026-03-04), anomalyco/opencode#17910 (2026-03-17)
  'oauth-unsupported': { status: 401, message: 'OAuth authentication is currently not supported.' },
  // NousResearch/hermes-agent#20732 (2026-05-06), #65564 (2026-07-16)
  'out-of-extra-usage': { status: 400, message: "You're out of extra usage. Add more at claude.ai/settings/usage and keep going." },
  // anthropics/claude-code#96130 (2026-09-22), with details.error_code claude_code_version_too_old
  'version-too-old': {
    status: 400,
    message: "Claude Code 2.1.2 does not support this model; version 2.1.280 or newer is required. Run 'claude update', or update the Claude desktop app, then try again.",
    details: { error_code: 'claude_code_version_too_old' },
  },
} as const

/**
 * What the tests expect our code to make of each answer above: its `OAUTH_POLICY_*` code. Not the
 * stand-in's behaviour (it never reads this); one table, so that every answer has an expectation.
 */
export const EXPECTED_POLICY_CODES: Record<keyof typeof POLICY_ANSWERS, string> = {
  'extra-usage': OAUTH_POLICY_EXTRA_USAGE,
  'claude-code-only': OAUTH_POLICY_CLAUDE_CODE_ONLY,
  bare: OAUTH_POLICY_REFUSED,
  'oauth-unsupported': OAUTH_POLICY_OAUTH_UNSUPPORTED,
  'out-of-extra-usage': OAUTH_POLICY_EXTRA_USAGE,
  'version-too-old': OAUTH_POLICY_CLIENT_VERSION,
}

/** An account at the stand-in, as its profile endpoint shows it, with its usage answer. */
export interface StandInAccount {
  email: string
  uuid: string
  displayName: string
  hasClaudeMax: boolean
  hasClaudePro: boolean
  organization: { uuid: string; name: string; organization_type: string; rate_limit_tier: string | null; billing_type: string }
  /** What `GET /api/oauth/usage` answers for this account. */
  usage: Record<string, unknown>
}

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString().replace('Z', '+00:00')

function defaultAccounts(): Map<string, StandInAccount> {
  const accounts: StandInAccount[] = [
    {
      email: 'dev@example.com',
      uuid: 'acct-0001',
      displayName: 'Dev',
      hasClaudeMax: true,
      hasClaudePro: false,
      organization: { uuid: 'org-0001', name: 'Stand-in Org', organization_type: 'claude_max', rate_limit_tier: 'default_claude_max_5x', billing_type: 'stripe_subscription' },
      usage: {
        five_hour: { utilization: 42.0, resets_at: inHours(3) },
        seven_day: { utilization: 18.0, resets_at: inHours(100) },
        seven_day_opus: { utilization: 61.0, resets_at: inHours(100) },
        seven_day_sonnet: null,
        seven_day_oauth_apps: null,
        extra_usage: { is_enabled: false, monthly_limit: null, used_credits: null, utilization: null },
      },
    },
    {
      email: 'work@example.com',
      uuid: 'acct-0002',
      displayName: 'Work',
      hasClaudeMax: false,
      hasClaudePro: false,
      organization: { uuid: 'org-0002', name: 'Work Team', organization_type: 'claude_team', rate_limit_tier: 'default_claude_team', billing_type: 'stripe_subscription' },
      usage: { five_hour: { utilization: 7.0, resets_at: inHours(1) }, seven_day: { utilization: 90.0, resets_at: inHours(30) } },
    },
    {
      email: 'console@example.com',
      uuid: 'acct-0003',
      displayName: 'Console',
      hasClaudeMax: false,
      hasClaudePro: false,
      organization: { uuid: 'org-0003', name: 'Console Org', organization_type: 'api', rate_limit_tier: null, billing_type: 'prepaid' },
      usage: {},
    },
  ]
  return new Map(accounts.map((a) => [a.email, a]))
}

export interface AnthropicStandIn {
  /** The API host (api.anthropic.com): the Messages API and a token endpoint. Use it as `baseURL`. */
  url: string
  /** The platform host (platform.claude.com and claude.ai): the token endpoint and the authorization page. */
  platformUrl: string
  /** The legacy console host: 404 for everything. */
  consoleUrl: string
  /** A real Anthropic URL (platform.claude.com, claude.com, claude.ai, api.anthropic.com, console.anthropic.com) on its listener here. */
  local(url: string): string
  /** The Anthropic preset pointed at this stand-in: platform first, then api, then console. */
  config: OAuthConfig
  /** The 2025 plan's preset pointed at this stand-in (console token endpoint): it cannot sign in. */
  legacyConfig: OAuthConfig
  /** Every API request (not token requests), in order. */
  apiRequests: RecordedRequest[]
  /** Every token-endpoint request, on any host, in order. */
  tokenRequests: RecordedRequest[]
  /** Issues a code for a PKCE challenge, as the consent page would; bound to `redirectUri` (default: the paste page). */
  issueCode(codeChallenge: string, state: string, redirectUri?: string, scope?: string, email?: string): string
  /** The accounts, by email. */
  accounts: Map<string, StandInAccount>
  /** The account the browser is signed in to. Default `dev@example.com`. */
  browserAccount: string
  /** Every authorization-page request that passed its checks: the host it reached and its query, in order. */
  authorizeRequests: { host: StandInHost; query: Record<string, string> }[]
  /** API keys made by the key-creation endpoint, with the account and the body it was sent. */
  createdKeys: { email: string; body: unknown }[]
  /** The account endpoints answer this much later (a slow network, to see a spinner). */
  accountDelayMs: number
  /** While set, the usage endpoint answers this instead. */
  usageFailure?: { status: number; body: unknown; headers?: Record<string, string> }
  /** Which account an access token (or API key) was issued to. */
  accountOf(token: string): string | undefined
  /** Refresh grants answered, per account email. */
  refreshesByAccount: Record<string, number>
  /**
   * The user at the authorization page, approving: checks the request as the page does, then
   * returns `code#state` for the paste page, or delivers the redirect to a loopback
   * `redirect_uri` (a GET, as the browser would) and returns the URL it requested.
   */
  approve(authorizationUrl: string, choice?: { account?: string }): Promise<string>
  /** Answers the next N API requests with 401, whatever the token. */
  rejectNext(n: number): void
  /** While set, every API request gets this policy refusal. */
  policy?: keyof typeof POLICY_ANSWERS
  /** How many times a token endpoint answered invalid_grant. */
  invalidGrants: number
  /** How many refreshes sent a refresh token that had already been rotated. */
  reuses: number
  /** Whether reusing a rotated refresh token revokes the whole login. Default true. */
  revokeOnReuse: boolean
  /** Access tokens issued from now on live this long. */
  accessTokenTtlSeconds: number
  /** While set, token requests get no answer: `reset` closes the connection after reading the request, `stall` never answers. */
  tokenTransportFailure?: 'reset' | 'stall'
  /** Answers token requests with this status and body instead, while set. */
  tokenFailure?: { status: number; body: unknown; headers?: Record<string, string> }
  /** Answers the next N token requests with this status and body (429 with Retry-After, say). */
  failNextTokenRequests(n: number, failure: { status: number; body: unknown; headers?: Record<string, string> }): void
  close(): Promise<void>
}

const b64url = (buf: Buffer) => buf.toString('base64url')

export interface AnthropicStandInOptions {
  /** Accept API bearer tokens this says are valid (e.g. checked at another server's userinfo endpoint). */
  verifyToken?: (token: string) => Promise<boolean>
}

interface Login {
  live: boolean
  scope: string
  email: string
  client: string
  workspace?: { id: string; name: string }
}

const LOOPBACK_REDIRECT = /^http:\/\/localhost:\d{1,5}\/callback$/

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export async function startAnthropicStandIn(options: AnthropicStandInOptions = {}): Promise<AnthropicStandIn> {
  const codes = new Map<string, { challenge: string; state: string; redirectUri: string; scope: string; email: string; client: string; workspace?: { id: string; name: string } }>()
  const apiKeys = new Map<string, string>()
  let choices: string[] = []
  const access = new Map<string, { expiresAt: number; login: Login }>()
  const refresh = new Map<string, { live: boolean; login: Login }>()
  let reject = 0
  let failures: { n: number; failure: { status: number; body: unknown; headers?: Record<string, string> } } | undefined
  const servers: Record<StandInHost, Server> = { platform: createServer(), api: createServer(), console: createServer(), claude: createServer(), 'claude-ai': createServer() }
  const urls = {} as Record<StandInHost, string>
  for (const host of Object.keys(servers) as StandInHost[]) urls[host] = await listen(servers[host])
  const local = (url: string) => {
    const u = new URL(url)
    const host = (Object.keys(ORIGINS) as StandInHost[]).find((h) => ORIGINS[h] === u.origin)
    if (!host) throw new Error(`the stand-in does not play ${u.origin}`)
    return `${urls[host]}${u.pathname}${u.search}`
  }

  const issue = (login: Login, lifetimeSeconds: number, withRefresh: boolean) => {
    const accessToken = `sk-ant-oat01-${b64url(randomBytes(24))}`
    access.set(accessToken, { expiresAt: Date.now() + lifetimeSeconds * 1000, login })
    const who = standIn.accounts.get(login.email)!
    const body: Record<string, unknown> = {
      access_token: accessToken,
      expires_in: lifetimeSeconds,
      token_type: 'Bearer',
      scope: login.scope,
      organization: { uuid: who.organization.uuid, name: who.organization.name },
      account: { uuid: who.uuid, email_address: who.email },
      ...(login.workspace ? { workspace: login.workspace } : {}),
    }
    if (withRefresh) {
      const refreshToken = `sk-ant-ort01-${b64url(randomBytes(24))}`
      refresh.set(refreshToken, { live: true, login })
      body.refresh_token = refreshToken
    }
    return body
  }
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
  const notFound = (res: ServerResponse) => json(res, 404, { type: 'error', error: { type: 'not_found_error', message: 'Not found' } })
  const invalidGrant = (res: ServerResponse, description: string) => {
    standIn.invalidGrants++
    json(res, 400, { error: 'invalid_grant', error_description: description })
  }

  /** What the token endpoint refuses of Anthropic's CLI client before looking at the grant, or undefined. */
  function antCliRefusal(host: StandInHost, req: IncomingMessage, body: Record<string, unknown>): { status: number; body: unknown } | undefined {
    if (host !== 'api') return { status: 401, body: { error: 'invalid_client', error_description: 'Client not found' } }
    const type = String(req.headers['content-type'])
    const beta = req.headers['anthropic-beta']
    if (body.grant_type === 'authorization_code') {
      if (!type.startsWith('application/x-www-form-urlencoded')) return { status: 400, body: { error: 'invalid_request', error_description: 'Invalid request format' } }
      if (beta !== undefined) return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Only the jwt-bearer grant is supported here' } }
      if (body.state === undefined) return { status: 400, body: { error: 'invalid_request', error_description: 'oauth_request_parse_error: state is required' } }
    }
    if (body.grant_type === 'refresh_token') {
      if (!type.startsWith('application/json')) return { status: 400, body: { error: 'invalid_request', error_description: 'Invalid request format' } }
      if (!String(beta ?? '').split(',').includes('oauth-2025-04-20')) return { status: 400, body: { error: 'invalid_request', error_description: 'anthropic-beta oauth-2025-04-20 is required' } }
    }
    return undefined
  }

  function token(host: StandInHost, req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) {
    if (standIn.tokenTransportFailure === 'reset') return void req.socket.destroy()
    if (standIn.tokenTransportFailure === 'stall') return
    if (failures && failures.n > 0) {
      failures.n--
      return json(res, failures.failure.status, failures.failure.body, failures.failure.headers)
    }
    if (standIn.tokenFailure) return json(res, standIn.tokenFailure.status, standIn.tokenFailure.body, standIn.tokenFailure.headers)
    if (body.client_id === ANT_CLI_CLIENT_ID) {
      const refusal = antCliRefusal(host, req, body)
      if (refusal) return json(res, refusal.status, refusal.body)
    } else {
      if (!String(req.headers['content-type']).startsWith('application/json')) return json(res, 400, { error: 'invalid_request', error_description: 'Invalid request format' })
      if (body.client_id !== CLAUDE_CODE_CLIENT_ID) return json(res, 401, { error: 'invalid_client', error_description: 'Client not found' })
    }
    if (body.grant_type === 'authorization_code') {
      const pending = codes.get(String(body.code ?? ''))
      codes.delete(String(body.code ?? '')) // once, whatever happens next
      if (!pending) return invalidGrant(res, 'Invalid authorization code')
      if (pending.client !== body.client_id) return invalidGrant(res, 'Invalid authorization code')
      const challenge = b64url(createHash('sha256').update(String(body.code_verifier ?? '')).digest())
      if (challenge !== pending.challenge) return invalidGrant(res, 'Invalid code verifier')
      if (body.state !== pending.state) return invalidGrant(res, 'Invalid state')
      if (body.redirect_uri !== pending.redirectUri) return invalidGrant(res, 'Redirect URI mismatch')
      const login: Login = { live: true, scope: pending.scope, email: pending.email, client: pending.client, ...(pending.workspace ? { workspace: pending.workspace } : {}) }
      if (body.expires_in !== undefined) {
        if (typeof body.expires_in !== 'number' || !Number.isInteger(body.expires_in) || body.expires_in <= 0) {
          return json(res, 400, { error: 'invalid_request', error_description: 'Invalid expires_in' })
        }
        return json(res, 200, issue(login, body.expires_in, false))
      }
      return json(res, 200, issue(login, standIn.accessTokenTtlSeconds, true))
    }
    if (body.grant_type === 'refresh_token') {
      if (body.scope !== undefined) return json(res, 400, { error: 'invalid_scope', error_description: 'The requested scope is invalid, unknown, or malformed.' })
      const entry = refresh.get(String(body.refresh_token ?? ''))
      if (!entry || !entry.login.live || entry.login.client !== body.client_id) return invalidGrant(res, 'Refresh token not found or invalid')
      if (!entry.live) {
        // Reuse of a rotated token: the whole login is revoked, access tokens included (unless
        // `revokeOnReuse` is off, to count reuses without ending the run).
        standIn.reuses++
        if (standIn.revokeOnReuse) entry.login.live = false
        return invalidGrant(res, 'Refresh token not found or invalid')
      }
      entry.live = false
      standIn.refreshesByAccount[entry.login.email] = (standIn.refreshesByAccount[entry.login.email] ?? 0) + 1
      return json(res, 200, issue(entry.login, standIn.accessTokenTtlSeconds, true))
    }
    return json(res, 400, { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' })
  }

  /** The authorization page's checks, then a code bound to this request. */
  function authorize(host: StandInHost, query: URLSearchParams): { status: number; error?: string; code?: string } {
    const client = query.get('client_id') ?? ''
    const antCli = client === ANT_CLI_CLIENT_ID
    // Anthropic's CLI signs in at the Console's page only.
    if (client !== CLAUDE_CODE_CLIENT_ID && !(antCli && host === 'platform')) return { status: 400, error: 'Invalid OAuth Request: unknown client' }
    if (query.get('response_type') !== 'code') return { status: 400, error: 'Invalid OAuth Request: response_type must be code' }
    if (!query.get('code_challenge')) return { status: 400, error: 'Invalid OAuth Request: Missing code_challenge parameter' } // anthropics/claude-code#20728
    if (query.get('code_challenge_method') !== 'S256') return { status: 400, error: 'Invalid OAuth Request: code_challenge_method must be S256' }
    const redirectUri = query.get('redirect_uri') ?? ''
    // Anthropic's CLI derives its paste page from the Console it signs in at: this stand-in's own, or the real one.
    const pastePages = antCli ? [ANT_CLI_PASTE_PAGE, `${urls.platform}/oauth/code/callback?app=anthropic-cli`] : [PASTE_PAGE]
    if (!pastePages.includes(redirectUri) && !LOOPBACK_REDIRECT.test(redirectUri)) return { status: 400, error: 'Invalid OAuth Request: redirect_uri not supported by client' }
    if (antCli && !(query.get('scope') ?? '').split(' ').every((s) => ANT_CLI_SCOPES.includes(s))) return { status: 400, error: `Invalid OAuth Request: Unknown scope` }
    const state = query.get('state')
    if (!state) return { status: 400, error: 'Invalid OAuth Request: Missing state parameter' }
    standIn.authorizeRequests.push({ host, query: Object.fromEntries(query) })
    // The session's account, unless the page was asked to let the user choose.
    const chosen = choices.shift()
    const email = query.get('prompt') === 'select_account' ? (chosen ?? query.get('login_hint') ?? standIn.browserAccount) : standIn.browserAccount
    if (!standIn.accounts.has(email)) return { status: 400, error: `No such account: ${email}` }
    const code = standIn.issueCode(query.get('code_challenge')!, state, redirectUri, query.get('scope') ?? DEFAULT_SCOPES, email)
    const pending = codes.get(code)!
    pending.client = client
    // The workspace asked for, else the one the Console's picker gives.
    if (antCli) pending.workspace = query.get('workspace_id') ? { id: query.get('workspace_id')!, name: 'Named' } : DEFAULT_WORKSPACE
    return { status: 200, code }
  }

  const scopeRefusal = (res: ServerResponse, required: string[], anyOf: boolean) =>
    json(res, 403, {
      type: 'error',
      error: {
        type: 'permission_error',
        message: `OAuth token does not meet scope requirement ${anyOf ? `any_of(${required.join(', ')})` : required[0]}`,
        details: { required_scopes: required, match: 'any', error_code: 'oauth_scope_insufficient' },
      },
      request_id: 'req_standin',
    })

  /** The account endpoints, for a valid OAuth access token of `login`. */
  function account(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, unknown>, login: Login): boolean {
    const scopes = login.scope.split(' ')
    const who = standIn.accounts.get(login.email)!
    if (path === '/api/oauth/profile' && req.method === 'GET') {
      if (!scopes.includes('user:profile') && !scopes.includes('user:office')) return scopeRefusal(res, ['user:profile', 'user:office'], true), true
      const org = who.organization
      json(res, 200, {
        account: { uuid: who.uuid, email: who.email, display_name: who.displayName, created_at: '2025-01-01T00:00:00Z', has_claude_max: who.hasClaudeMax, has_claude_pro: who.hasClaudePro },
        organization: { uuid: org.uuid, name: org.name, organization_type: org.organization_type, rate_limit_tier: org.rate_limit_tier, billing_type: org.billing_type, subscription_created_at: null },
      })
      return true
    }
    if (path === '/api/oauth/usage' && req.method === 'GET') {
      if (standIn.usageFailure) return json(res, standIn.usageFailure.status, standIn.usageFailure.body, standIn.usageFailure.headers), true
      if (!scopes.includes('user:profile')) return scopeRefusal(res, ['user:profile'], false), true
      json(res, 200, who.usage)
      return true
    }
    if (path === '/api/oauth/claude_cli/create_api_key' && req.method === 'POST') {
      if (!scopes.includes('org:create_api_key')) return scopeRefusal(res, ['org:create_api_key'], false), true
      if (who.organization.organization_type.startsWith('claude_')) {
        json(res, 403, { type: 'error', error: { type: 'permission_error', message: 'This organization cannot create API keys.' }, request_id: 'req_standin' })
        return true
      }
      const key = `sk-ant-api03-${b64url(randomBytes(32))}`
      apiKeys.set(key, who.email)
      standIn.createdKeys.push({ email: who.email, body })
      json(res, 200, { raw_key: key })
      return true
    }
    return false
  }

  function api(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, unknown>, valid: boolean, login?: Login) {
    if (login && reject === 0 && valid && path.startsWith('/api/oauth/') && standIn.accountDelayMs > 0) {
      const delay = standIn.accountDelayMs
      return void setTimeout(() => account(req, res, path, body, login) || notFound(res), delay)
    }
    if (login && reject === 0 && valid && account(req, res, path, body, login)) return
    if (path.startsWith('/api/oauth/') && valid && !login) return json(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'OAuth token required' } })
    if (reject > 0 || !valid) {
      if (reject > 0) reject--
      return json(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'Invalid bearer token' } })
    }
    if (standIn.policy) {
      const answer: { status: number; message: string; details?: unknown } = POLICY_ANSWERS[standIn.policy]
      const { status, message, details } = answer
      return json(res, status, { type: 'error', error: { type: status === 401 ? 'authentication_error' : 'invalid_request_error', message, ...(details ? { details } : {}) }, request_id: 'req_standin' })
    }
    const usage = { input_tokens: 5, output_tokens: 3 }
    const message = { id: 'msg_standin', type: 'message', role: 'assistant', model: body.model ?? 'claude-test', content: [{ type: 'text', text: 'Hello from the stand-in' }], stop_reason: 'end_turn', stop_sequence: null, usage }
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, { data: [{ type: 'model', id: 'claude-test', display_name: 'Claude Test', created_at: '2026-01-01T00:00:00Z' }], has_more: false, first_id: 'claude-test', last_id: 'claude-test' })
    }
    if (path === '/v1/messages/count_tokens') return json(res, 200, { input_tokens: 42 })
    if (path === '/v1/messages/batches' && req.method === 'GET') return json(res, 200, { data: [], has_more: false, first_id: null, last_id: null })
    if (path === '/v1/messages' && body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
      send('message_start', { type: 'message_start', message: { ...message, content: [], usage: { input_tokens: 5, output_tokens: 0 } } })
      send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
      for (const piece of ['Hello ', 'from the ', 'stand-in']) send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } })
      send('content_block_stop', { type: 'content_block_stop', index: 0 })
      send('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } })
      send('message_stop', { type: 'message_stop' })
      return res.end()
    }
    if (path === '/v1/messages') return json(res, 200, message)
    return notFound(res)
  }

  for (const host of Object.keys(servers) as StandInHost[]) {
    servers[host].on('request', (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const u = new URL(req.url ?? '/', urls[host])
        let body: Record<string, unknown> = {}
        const text = Buffer.concat(chunks).toString('utf8')
        try {
          body = String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')
            ? Object.fromEntries(new URLSearchParams(text))
            : chunks.length
              ? JSON.parse(text)
              : {}
        } catch {
          body = { raw: text }
        }
        const record: RecordedRequest = { host, method: req.method ?? '', path: u.pathname, query: Object.fromEntries(u.searchParams), headers: { ...req.headers }, body }
        const fail = (err: unknown) => json(res, 500, { type: 'error', error: { type: 'api_error', message: String(err) } })
        if (u.pathname === '/v1/oauth/token') standIn.tokenRequests.push(record)
        if (host === 'console') return notFound(res)
        if (u.pathname === '/v1/oauth/token' && req.method === 'POST') {
          token(host, req, res, body)
          if (res.headersSent) record.status = res.statusCode
          return
        }
        // The authorization pages: the Console's on platform, the subscription one on claude.com/cai.
        if ((host === 'platform' && u.pathname === '/oauth/authorize') || (host === 'claude' && u.pathname === '/cai/oauth/authorize')) {
          const { status, error, code } = authorize(host, u.searchParams)
          return json(res, status, error ? { error } : { code, state: u.searchParams.get('state') })
        }
        // The 2025 plan's page: the consent screen, then this refusal for Claude Code's client (geode#1232).
        if (host === 'claude-ai' && u.pathname === '/oauth/authorize' && u.searchParams.get('client_id') === CLAUDE_CODE_CLIENT_ID) {
          return json(res, 400, { error: 'Invalid request format' })
        }
        if (host !== 'api') return notFound(res)
        standIn.apiRequests.push(record)
        const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '')
        const entry = access.get(bearer)
        const key = String(req.headers['x-api-key'] ?? bearer)
        const check = apiKeys.has(key)
          ? Promise.resolve(true)
          : options.verifyToken
            ? options.verifyToken(bearer)
            : Promise.resolve(entry !== undefined && entry.login.live && entry.expiresAt >= Date.now())
        check.then((valid) => api(req, res, u.pathname, body, valid, apiKeys.has(key) ? undefined : entry?.login)).catch(fail)
      })
    })
  }

  const standIn: AnthropicStandIn = {
    url: urls.api,
    platformUrl: urls.platform,
    consoleUrl: urls.console,
    local,
    // The preset's own URLs, each on its host's listener: a preset that moves to a host the
    // service no longer serves (claude.ai) fails at the stand-in's page as it would for real.
    config: {
      ...ANTHROPIC_OAUTH_CONFIG,
      authorizeUrl: local(ANTHROPIC_OAUTH_CONFIG.authorizeUrl),
      tokenUrl: local(ANTHROPIC_OAUTH_CONFIG.tokenUrl),
      tokenUrlFallbacks: ANTHROPIC_OAUTH_CONFIG.tokenUrlFallbacks.map(local),
    },
    legacyConfig: { ...LEGACY_ANTHROPIC_OAUTH_CONFIG, authorizeUrl: local(LEGACY_ANTHROPIC_OAUTH_CONFIG.authorizeUrl), tokenUrl: local(LEGACY_ANTHROPIC_OAUTH_CONFIG.tokenUrl) },
    apiRequests: [],
    tokenRequests: [],
    accounts: defaultAccounts(),
    browserAccount: 'dev@example.com',
    authorizeRequests: [],
    createdKeys: [],
    refreshesByAccount: {},
    accountDelayMs: 0,
    accountOf: (token) => access.get(token)?.login.email ?? apiKeys.get(token),
    accessTokenTtlSeconds: 3600,
    invalidGrants: 0,
    reuses: 0,
    revokeOnReuse: true,
    issueCode(challenge, state, redirectUri = PASTE_PAGE, scope = DEFAULT_SCOPES, email = standIn.browserAccount) {
      const code = b64url(randomBytes(16))
      codes.set(code, { challenge, state, redirectUri, scope, email, client: CLAUDE_CODE_CLIENT_ID })
      return code
    },
    async approve(authorizationUrl, choice) {
      const page = new URL(authorizationUrl)
      choices = choice?.account ? [choice.account] : []
      // The page the URL names (already on a listener here, or a real Anthropic URL mapped to one).
      const onListener = (Object.values(urls) as string[]).includes(page.origin) ? page.href : local(page.href)
      const answer = await fetch(onListener)
      const result = (await answer.json()) as { code?: string; state?: string; error?: string }
      if (!answer.ok || !result.code) throw new Error(`the authorization page refused: ${result.error}`)
      const redirectUri = page.searchParams.get('redirect_uri')!
      if (!LOOPBACK_REDIRECT.test(redirectUri)) return `${result.code}#${result.state}`
      // The browser follows the redirect to the CLI's loopback server ("localhost": 127.0.0.1 here).
      const target = new URL(redirectUri)
      target.searchParams.set('code', result.code)
      target.searchParams.set('state', result.state!)
      await fetch(target.href.replace('//localhost:', '//127.0.0.1:'))
      return target.href
    },
    rejectNext(n) {
      reject = n
    },
    failNextTokenRequests(n, failure) {
      failures = { n, failure }
    },
    close: () =>
      Promise.all(
        Object.values(servers).map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections()
              server.close(() => resolve())
            }),
        ),
      ).then(() => undefined),
  }
  return standIn
}
