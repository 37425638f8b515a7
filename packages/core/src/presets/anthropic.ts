import type { ResolvedOAuthConfig } from '../config.js'

// The Anthropic preset: the public client that Claude's first-party CLI uses.
// Anthropic's terms restrict subscription OAuth tokens to Anthropic's own apps;
// see the README before using these values.

/** Beta flags sent on every API call made with an OAuth token; `oauth-2025-04-20` is required. */
// No Object.freeze here: a top-level call is kept by bundlers even when unused,
// which put these strings in every browser bundle. `readonly` types guard them instead.
export const DEFAULT_OAUTH_BETAS: readonly string[] = [
  'oauth-2025-04-20',
  'interleaved-thinking-2025-05-14',
  'claude-code-20250219',
  'fine-grained-tool-streaming-2025-05-14',
]
/** The beta flag without which the API refuses OAuth bearer tokens. */
export const OAUTH_BETA = 'oauth-2025-04-20'
/** The public OAuth client of Claude's first-party CLI. */
export const DEFAULT_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e'
/** Anthropic's page that shows the code to paste (`code#state`). */
export const DEFAULT_REDIRECT_URI = 'https://console.anthropic.com/oauth/code/callback'
/** Anthropic's OAuth token endpoint (JSON requests). */
export const DEFAULT_TOKEN_URL = 'https://console.anthropic.com/v1/oauth/token'
/** Anthropic's authorization page (claude.ai). */
export const DEFAULT_AUTHORIZE_URL = 'https://claude.ai/oauth/authorize'
/** The scopes the preset asks for. */
export const DEFAULT_SCOPES = 'org:create_api_key user:profile user:inference'
/** The `User-Agent` the preset sends to the token endpoint and the API. */
export const DEFAULT_USER_AGENT = 'claude-cli/2.1.2 (external, cli)'
/** A token counts as expiring this many seconds before its `expiresAt`. */
export const EXPIRY_BUFFER_SECONDS = 300

/**
 * The whole Anthropic preset as one config. Spread it to change one field while
 * keeping its wire format, e.g. `{ ...ANTHROPIC_OAUTH_CONFIG, tokenUrl: 'http://127.0.0.1:8080/token' }`.
 */
export const ANTHROPIC_OAUTH_CONFIG: ResolvedOAuthConfig = {
  clientId: DEFAULT_CLIENT_ID,
  authorizeUrl: DEFAULT_AUTHORIZE_URL,
  tokenUrl: DEFAULT_TOKEN_URL,
  redirectUri: DEFAULT_REDIRECT_URI,
  scopes: DEFAULT_SCOPES,
  // The Anthropic endpoint takes a JSON body that carries `state` as well.
  tokenRequestFormat: 'json',
  includeStateInTokenRequest: true,
  // `code=true` asks claude.ai to show the code for pasting instead of redirecting.
  authorizeParams: { code: 'true' },
  userAgent: DEFAULT_USER_AGENT,
}
