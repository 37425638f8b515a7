// The stand-in's state: what it has issued, what it records, and the hosts it plays.
import { randomBytes } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { OAuthConfig } from '@oauth/core'
import type { POLICY_ANSWERS } from './faults.js'

export type StandInHost = 'platform' | 'api' | 'console' | 'claude' | 'claude-ai'

/** The real origin of each host the stand-in plays. */
export const ORIGINS: Record<StandInHost, string> = {
  platform: 'https://platform.claude.com',
  api: 'https://api.anthropic.com',
  console: 'https://console.anthropic.com',
  claude: 'https://claude.com',
  'claude-ai': 'https://claude.ai',
}
// Written from the sources, not imported from the preset, so that a regression in the preset fails:
// Claude Code's public client and its paste page (CLIENT_ID and MANUAL_REDIRECT_URL in geode#1232).
export const CLAUDE_CODE_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e'
export const PASTE_PAGE = 'https://platform.claude.com/oauth/code/callback'
// Anthropic's CLI (`oauthClientIDProd`, `oauthScope` and manualRedirectURIForAuthorize in cmd_auth.go).
export const ANT_CLI_CLIENT_ID = '41077d10-94b8-4194-be48-d251e9eb21b4'
export const ANT_CLI_SCOPES = ['user:profile', 'user:inference', 'user:developer']
export const ANT_CLI_PASTE_PAGE = 'https://platform.claude.com/oauth/code/callback?app=anthropic-cli'
export const DEFAULT_WORKSPACE = { id: 'wrkspc_standin', name: 'Default' }
/** The CLI's loopback redirect, on any port. */
export const LOOPBACK_REDIRECT = /^http:\/\/localhost:\d{1,5}\/callback$/

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

export function defaultAccounts(): Map<string, StandInAccount> {
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

export interface AnthropicStandInOptions {
  /** Accept API bearer tokens this says are valid (e.g. checked at another server's userinfo endpoint). */
  verifyToken?: (token: string) => Promise<boolean>
}

export interface Login {
  live: boolean
  scope: string
  email: string
  client: string
  workspace?: { id: string; name: string }
}

/** A failure to answer with, instead of the real answer. */
interface Failure {
  status: number
  body: unknown
  headers?: Record<string, string>
}

/** What the handlers share: the public face, and what it has issued. */
export interface State {
  standIn: AnthropicStandIn
  urls: Record<StandInHost, string>
  codes: Map<string, { challenge: string; state: string; redirectUri: string; scope: string; email: string; client: string; workspace?: { id: string; name: string } }>
  apiKeys: Map<string, string>
  access: Map<string, { expiresAt: number; login: Login }>
  refresh: Map<string, { live: boolean; login: Login }>
  /** The account the user picks at the next authorization page that lets them choose. */
  choices: string[]
  /** API requests still to answer 401. */
  reject: number
  /** Token requests still to answer with a failure. */
  failures?: { n: number; failure: Failure }
}

export const b64url = (buf: Buffer) => buf.toString('base64url')

export const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
export const notFound = (res: ServerResponse) => json(res, 404, { type: 'error', error: { type: 'not_found_error', message: 'Not found' } })

/** Access (and refresh) tokens for a login, as the token endpoint answers them. */
export function issue(s: State, login: Login, lifetimeSeconds: number, withRefresh: boolean): Record<string, unknown> {
  const accessToken = `sk-ant-oat01-${b64url(randomBytes(24))}`
  s.access.set(accessToken, { expiresAt: Date.now() + lifetimeSeconds * 1000, login })
  const who = s.standIn.accounts.get(login.email)!
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
    s.refresh.set(refreshToken, { live: true, login })
    body.refresh_token = refreshToken
  }
  return body
}
