import type { ResolvedOAuthConfig } from '@oauth/core'

// The Anthropic preset: the public client that Claude's first-party CLI uses, with the
// endpoints the service answers on today (checked 2026-11). Anthropic's terms restrict
// subscription OAuth tokens to Anthropic's own apps; see the README before using these values.
// Each value cites the public source that shows it; where sources disagree, the comment says so.
// The `DEFAULT_*` names are the 2025 Python plan's, kept so users of both find them:
// each is the Anthropic preset's value, not a default for other servers (a generic config has
// no default endpoint). Names this project added say `ANTHROPIC_` outright.

/** Beta flags sent on every API call made with an OAuth token; `oauth-2025-04-20` is required. */
// No Object.freeze here: a top-level call is kept by bundlers even when unused,
// which put these strings in every browser bundle. `readonly` types guard them instead.
export const DEFAULT_OAUTH_BETAS: readonly string[] = [
  'oauth-2025-04-20',
  'interleaved-thinking-2025-05-14',
  'claude-code-20250219',
  'fine-grained-tool-streaming-2025-05-14',
]
/**
 * The beta flag without which the API refuses OAuth bearer tokens; the official SDK sends it
 * on token requests too (`OAUTH_API_BETA_HEADER` in @anthropic-ai/sdk 1.12.0,
 * src/lib/credentials/types.ts and user-oauth.ts, seen 2026-11).
 */
export const ANTHROPIC_OAUTH_BETA = 'oauth-2025-04-20'
/**
 * The public OAuth client of Claude's first-party CLI; unchanged since the 2025 plan (the
 * authorization URL logged in anthropics/claude-code#18186, 2026-01, carries it).
 */
export const DEFAULT_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e'
/**
 * Anthropic's page that shows the code to paste (`code#state`): the manual login's redirect.
 * Seen in the authorization URL the first-party CLI prints (anthropics/claude-code#18186,
 * 2026-01) and in Wei-Shaw/claude-relay-service#1207 (2026-06-12).
 */
export const DEFAULT_REDIRECT_URI = 'https://platform.claude.com/oauth/code/callback'
/**
 * The automatic login's redirect: a loopback server on any free port (`localhost`, path
 * `/callback`), caught by the CLI itself. The first-party CLI's redirect is loopback and not
 * configurable (vikasprogrammer/agentric#488, 2026-07); the port is chosen at login (RFC 8252 §7.3).
 */
export const ANTHROPIC_LOOPBACK_REDIRECT_URI = 'http://localhost/callback'
/**
 * Anthropic's OAuth token endpoint, for both grants. The console host of the 2025 plan answers
 * 404 `not_found_error` since 2026-06-12, while this one answers (Wei-Shaw/claude-relay-service#1207;
 * NousResearch/hermes-agent#3246 moved here in 2026-03 for Claude Code 2.1.81+; anthropics/claude-code
 * issue 53063 quoted in ID-Robots/clawbox#936). One source (TopiCsarno/yapcap#12, 2026-06-13)
 * reports `https://claude.ai/v1/oauth/token` working as well; not used here.
 */
export const DEFAULT_TOKEN_URL = 'https://platform.claude.com/v1/oauth/token'
/**
 * Tried in order after {@link DEFAULT_TOKEN_URL} answers 404 or cannot be reached, never after
 * any other answer. The API host is where the official SDK refreshes `user_oauth` profiles
 * (`${baseURL}/v1/oauth/token` in @anthropic-ai/sdk 1.12.0 user-oauth.ts); the console host
 * is the 2025 plan's, which answers 404 today and is kept last for anything that still serves it.
 */
export const ANTHROPIC_TOKEN_URL_FALLBACKS: readonly string[] = ['https://api.anthropic.com/v1/oauth/token', 'https://console.anthropic.com/v1/oauth/token']
/**
 * Anthropic's authorization page for subscription (Pro/Max) logins. Claude Code's production
 * config has had two authorize URLs since 2026-05: `CLAUDE_AI_AUTHORIZE_URL` (this one, consumer
 * logins) and `CONSOLE_AUTHORIZE_URL` ({@link ANTHROPIC_CONSOLE_AUTHORIZE_URL}), with the token URL
 * and the paste page shared (decompiled in mangowhoiscloud/geode#1232, 2026-05-17). A URL the CLI
 * printed shows this host with `code=true` (heytcass/home-assistant-addons#98, 2026-05-16).
 * The 2025 plan's `https://claude.ai/oauth/authorize` shows the consent screen, then answers
 * "Invalid request format" (geode#1232); another tool got past the same failure by moving to the
 * platform host instead (Wei-Shaw/claude-relay-service#1218, 2026-06-20), so the sources agree
 * that the old host is gone, and geode's reading of the binary is the one followed here. Another
 * client moved to this host for the same failure, matching Claude Code 2.1.220's
 * `CLAUDE_AI_AUTHORIZE_URL` (vellum-ai/vellum-assistant#40582, 2026-08-10).
 */
export const DEFAULT_AUTHORIZE_URL = 'https://claude.com/cai/oauth/authorize'
/**
 * The Console's authorization page: `CONSOLE_AUTHORIZE_URL` in Claude Code's production config
 * (mangowhoiscloud/geode#1232, 2026-05-17), for Console (API-billed) logins: `login --console`.
 */
export const ANTHROPIC_CONSOLE_AUTHORIZE_URL = 'https://platform.claude.com/oauth/authorize'
/** The 2025 plan's authorization page; it refuses logins since 2026-05 (see {@link DEFAULT_AUTHORIZE_URL}). */
const LEGACY_AUTHORIZE_URL = 'https://claude.ai/oauth/authorize'
/**
 * The scopes the preset asks for (the 2025 plan's). The first-party CLI has since added
 * `user:sessions:claude_code` and `user:mcp_servers` (anthropics/claude-code#18186, #20728),
 * which concern its own features; not asked for here.
 */
export const DEFAULT_SCOPES = 'org:create_api_key user:profile user:inference'
/**
 * The long-lived login's only scope, as the first-party `claude setup-token` asks for it
 * (Wei-Shaw/claude-relay-service#215; manaflow-ai/subrouter#305, 2026-09: `scopes: ["user:inference"]`).
 */
export const ANTHROPIC_LONG_LIVED_SCOPES = 'user:inference'
/**
 * The lifetime the long-lived login asks for in the code exchange: one year, in seconds
 * (`setup-token` tokens last a year: manaflow-ai/subrouter#305, anaclumos/tokenmaxxing#100).
 * The exact request field is not shown by a public source we found; the 2025 plan's design gives it as `expires_in`.
 */
export const ANTHROPIC_LONG_LIVED_EXPIRES_IN_SECONDS = 31_536_000
/** The `User-Agent` the preset sends to the token endpoint and the API. */
export const DEFAULT_USER_AGENT = 'claude-cli/2.1.2 (external, cli)'

/**
 * The whole Anthropic preset as one config. Spread it to change one field while
 * keeping its wire format, e.g. `{ ...ANTHROPIC_OAUTH_CONFIG, tokenUrl: 'http://127.0.0.1:8080/token', tokenUrlFallbacks: [] }`.
 */
export const ANTHROPIC_OAUTH_CONFIG: ResolvedOAuthConfig = {
  clientId: DEFAULT_CLIENT_ID,
  authorizeUrl: DEFAULT_AUTHORIZE_URL,
  tokenUrl: DEFAULT_TOKEN_URL,
  tokenUrlFallbacks: ANTHROPIC_TOKEN_URL_FALLBACKS,
  redirectUri: DEFAULT_REDIRECT_URI,
  loopbackRedirectUri: ANTHROPIC_LOOPBACK_REDIRECT_URI,
  scopes: DEFAULT_SCOPES,
  // The Anthropic endpoint takes a JSON body that carries `state` as well.
  tokenRequestFormat: 'json',
  clientAuthMethod: 'none',
  includeStateInTokenRequest: true,
  tokenRequestHeaders: { 'anthropic-beta': ANTHROPIC_OAUTH_BETA },
  // `code=true`, sent by the first-party CLI in both modes (anthropics/claude-code#18186 shows it
  // with the paste page's redirect); with that redirect the page shows `code#state` to paste.
  authorizeParams: { code: 'true' },
  userAgent: DEFAULT_USER_AGENT,
}

/**
 * The 2025 plan's values, kept for reference and for anything that still serves them. Its
 * token endpoint answers 404 since June 2026, so it cannot sign anyone in today: use
 * {@link ANTHROPIC_OAUTH_CONFIG}.
 */
export const LEGACY_ANTHROPIC_OAUTH_CONFIG: ResolvedOAuthConfig = {
  clientId: DEFAULT_CLIENT_ID,
  authorizeUrl: LEGACY_AUTHORIZE_URL,
  tokenUrl: 'https://console.anthropic.com/v1/oauth/token',
  tokenUrlFallbacks: [],
  redirectUri: 'https://console.anthropic.com/oauth/code/callback',
  scopes: DEFAULT_SCOPES,
  tokenRequestFormat: 'json',
  clientAuthMethod: 'none',
  includeStateInTokenRequest: true,
  tokenRequestHeaders: {},
  authorizeParams: { code: 'true' },
  userAgent: DEFAULT_USER_AGENT,
}

/**
 * What an account's recorded `{ preset: 'anthropic' }` means, for `Accounts`' `presets` option
 * (`@oauth/storage-file`): the name a login records, tied to the preset in one place.
 */
export const ANTHROPIC_ACCOUNT_PRESETS: Readonly<Record<'anthropic', ResolvedOAuthConfig>> = { anthropic: ANTHROPIC_OAUTH_CONFIG }
