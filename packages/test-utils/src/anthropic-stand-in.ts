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
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
// By path, not as a package dependency: @oauth/anthropic's own tests use this stand-in, and a
// dependency back on it would be a cycle (pnpm and turbo both refuse to order one).
import { ANTHROPIC_OAUTH_CONFIG, DEFAULT_SCOPES, LEGACY_ANTHROPIC_OAUTH_CONFIG } from '../../anthropic/src/preset.js'
import { authorize } from './stand-in/authorize-page.js'
import { api } from './stand-in/messages-api.js'
import { CLAUDE_CODE_CLIENT_ID, b64url, defaultAccounts, json, LOOPBACK_REDIRECT, notFound, ORIGINS, PASTE_PAGE, type AnthropicStandIn, type AnthropicStandInOptions, type RecordedRequest, type StandInHost, type State } from './stand-in/state.js'
import { token } from './stand-in/token-endpoint.js'

export { EXPECTED_POLICY_CODES, POLICY_ANSWERS } from './stand-in/faults.js'
export type { AnthropicStandIn, AnthropicStandInOptions, RecordedRequest, StandInAccount, StandInHost } from './stand-in/state.js'

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export async function startAnthropicStandIn(options: AnthropicStandInOptions = {}): Promise<AnthropicStandIn> {
  const servers: Record<StandInHost, Server> = { platform: createServer(), api: createServer(), console: createServer(), claude: createServer(), 'claude-ai': createServer() }
  const urls = {} as Record<StandInHost, string>
  for (const host of Object.keys(servers) as StandInHost[]) urls[host] = await listen(servers[host])
  // The handlers' shared state; its public face is filled in below.
  const s: State = { standIn: undefined as unknown as AnthropicStandIn, urls, codes: new Map(), apiKeys: new Map(), access: new Map(), refresh: new Map(), choices: [], reject: 0 }
  const local = (url: string) => {
    const u = new URL(url)
    const host = (Object.keys(ORIGINS) as StandInHost[]).find((h) => ORIGINS[h] === u.origin)
    if (!host) throw new Error(`the stand-in does not play ${u.origin}`)
    return `${urls[host]}${u.pathname}${u.search}`
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
          token(s, host, req, res, body)
          if (res.headersSent) record.status = res.statusCode
          return
        }
        // The authorization pages: the Console's on platform, the subscription one on claude.com/cai.
        if ((host === 'platform' && u.pathname === '/oauth/authorize') || (host === 'claude' && u.pathname === '/cai/oauth/authorize')) {
          const { status, error, code } = authorize(s, host, u.searchParams)
          return json(res, status, error ? { error } : { code, state: u.searchParams.get('state') })
        }
        // The 2025 plan's page: the consent screen, then this refusal for Claude Code's client (geode#1232).
        if (host === 'claude-ai' && u.pathname === '/oauth/authorize' && u.searchParams.get('client_id') === CLAUDE_CODE_CLIENT_ID) {
          return json(res, 400, { error: 'Invalid request format' })
        }
        if (host !== 'api') return notFound(res)
        standIn.apiRequests.push(record)
        const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '')
        const entry = s.access.get(bearer)
        const key = String(req.headers['x-api-key'] ?? bearer)
        const check = s.apiKeys.has(key)
          ? Promise.resolve(true)
          : options.verifyToken
            ? options.verifyToken(bearer)
            : Promise.resolve(entry !== undefined && entry.login.live && entry.expiresAt >= Date.now())
        check.then((valid) => api(s, req, res, u.pathname, body, valid, s.apiKeys.has(key) ? undefined : entry?.login)).catch(fail)
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
    accountOf: (token) => s.access.get(token)?.login.email ?? s.apiKeys.get(token),
    accessTokenTtlSeconds: 3600,
    invalidGrants: 0,
    reuses: 0,
    revokeOnReuse: true,
    issueCode(challenge, state, redirectUri = PASTE_PAGE, scope = DEFAULT_SCOPES, email = standIn.browserAccount) {
      const code = b64url(randomBytes(16))
      s.codes.set(code, { challenge, state, redirectUri, scope, email, client: CLAUDE_CODE_CLIENT_ID })
      return code
    },
    async approve(authorizationUrl, choice) {
      const page = new URL(authorizationUrl)
      s.choices = choice?.account ? [choice.account] : []
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
      s.reject = n
    },
    failNextTokenRequests(n, failure) {
      s.failures = { n, failure }
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
  s.standIn = standIn
  return standIn
}
