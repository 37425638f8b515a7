import {
  assertOptions,
  ERR_INVALID_ARG_VALUE,
  invalidArgument,
  isLoopbackUrl,
  resolveConfig,
  type ResolvedOAuthConfig,
} from '@oauth/core'
import { ANTHROPIC_OAUTH_BETA } from './preset.js'

// The Console login of Anthropic's own CLI: `ant auth login` in anthropics/anthropic-cli,
// pkg/cmd/cmd_auth.go (release 1.20.0, 2026-07-23, read 2026-12-06). It signs a user in to the
// API with OAuth and writes the SDK profiles that every official SDK reads
// (`new Anthropic({ profile })`, `ANTHROPIC_PROFILE`). This is the path within Anthropic's terms
// for programs billed to an API organization. Each value below cites the constant or function
// of cmd_auth.go it comes from.

/** `oauthClientIDProd`: the public OAuth client of Anthropic's CLI. */
export const ANTHROPIC_CLI_CLIENT_ID = '41077d10-94b8-4194-be48-d251e9eb21b4'
/** `oauthScope`: what `ant auth login` asks for. */
export const ANTHROPIC_CLI_SCOPES = 'user:profile user:inference user:developer'
/** `defaultConsoleURL`: the Console, where the authorization page and the paste page are. */
export const ANTHROPIC_CONSOLE_URL = 'https://platform.claude.com'
/** `defaultBaseURL`: the API host, where both grants are sent (`<base URL>/v1/oauth/token`). */
export const ANTHROPIC_API_URL = 'https://api.anthropic.com'

/** Options for {@link anthropicCliConfig}: the `ant auth login` flags, and the variables it reads. */
export interface AnthropicCliLoginOptions {
  /** The Console (`--console-url`, `ANTHROPIC_CONSOLE_URL`). Default {@link ANTHROPIC_CONSOLE_URL}. */
  consoleUrl?: string
  /** The API host the token requests go to (`--base-url`, `ANTHROPIC_BASE_URL`). Default {@link ANTHROPIC_API_URL}. */
  baseUrl?: string
  /** The OAuth client (`--client-id`, `ANTHROPIC_OAUTH_CLIENT_ID`). Default {@link ANTHROPIC_CLI_CLIENT_ID}. */
  clientId?: string
  /** The scopes to ask for (`--scope`). Default {@link ANTHROPIC_CLI_SCOPES}. */
  scopes?: string
  /** The workspace to bind the token to (`--workspace-id`); without one the Console shows a picker. */
  workspaceId?: string
  /** The organization to pre-select (`orgUUID` on the authorization page). */
  organizationId?: string
}

const trimmed = (url: string) => url.replace(/\/+$/, '')

/**
 * Where a code or a refresh token may be sent (cmd_auth.go sends both grants to
 * `<base URL>/v1/oauth/token`; the SDK's `requireSecureTokenEndpoint` refuses plain http off
 * loopback). A login at the public Console sends them to {@link ANTHROPIC_API_URL} and nowhere
 * else: a code issued there is worth nothing elsewhere, except to whoever receives it. Any other
 * Console or API host must be https, or http on a loopback host.
 */
function checkHosts(consoleUrl: string, baseUrl: string): void {
  for (const [name, value] of [
    ['consoleUrl', consoleUrl],
    ['baseUrl', baseUrl],
  ] as const) {
    const url = URL.canParse(value) ? new URL(value) : undefined
    if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url)))) {
      throw invalidArgument(ERR_INVALID_ARG_VALUE, `The Anthropic CLI login's \`${name}\` must be an https URL (or http on a loopback host), not "${value.slice(0, 100)}".`)
    }
  }
  if (new URL(consoleUrl).origin === ANTHROPIC_CONSOLE_URL && new URL(baseUrl).origin !== ANTHROPIC_API_URL) {
    throw invalidArgument(
      ERR_INVALID_ARG_VALUE,
      `Refusing to send a code or refresh token from ${ANTHROPIC_CONSOLE_URL} to ${new URL(baseUrl).origin}: a login at the public Console is exchanged at ${ANTHROPIC_API_URL} only. Unset ANTHROPIC_BASE_URL for the login, or point ANTHROPIC_CONSOLE_URL at the Console that belongs to that host.`,
    )
  }
}

/**
 * The Console login of Anthropic's own CLI as an {@link OAuthConfig} for `authorizeInteractive`,
 * `exchangeCodeForTokens` and `TokenManager`, with its wire format:
 *
 * - authorize at `<console>/oauth/authorize` with PKCE S256 and a random state, no `code=true`,
 *   and the optional `workspace_id` and `orgUUID` hints (`buildAuthorizeURL`);
 * - the paste page `<console>/oauth/code/callback?app=anthropic-cli`, query included: it is part
 *   of the registered redirect (`manualRedirectURIForAuthorize`); or a loopback listener on
 *   127.0.0.1 registered as `http://localhost:<port>/callback` (`startLoopbackListener`);
 * - the exchange form-encoded with `state` and without `anthropic-beta` (`exchangeCode`: the
 *   beta would route it to a backend that refuses `authorization_code`);
 * - the refresh as JSON `{grant_type, refresh_token, client_id}` with
 *   `anthropic-beta: oauth-2025-04-20` (`refreshAccessToken`);
 * - answers that carry `organization`, `account` and `workspace`.
 *
 * A login at the public Console sends its code and refresh token to `https://api.anthropic.com`
 * only; a `TypeError` (`ERR_INVALID_ARG_VALUE`) refuses any other pairing before anything is sent.
 *
 * @example
 * ```ts
 * import { anthropicCliConfig } from '@oauth/anthropic'
 * const config = anthropicCliConfig({ workspaceId: 'wrkspc_01abc' })
 * config.tokenUrl // 'https://api.anthropic.com/v1/oauth/token'
 * ```
 */
export function anthropicCliConfig(options: AnthropicCliLoginOptions = {}): ResolvedOAuthConfig {
  assertOptions(options, 'anthropicCliConfig', ['consoleUrl', 'baseUrl', 'clientId', 'scopes', 'workspaceId', 'organizationId'])
  const consoleUrl = trimmed(options.consoleUrl || ANTHROPIC_CONSOLE_URL)
  const baseUrl = trimmed(options.baseUrl || ANTHROPIC_API_URL)
  checkHosts(consoleUrl, baseUrl)
  const authorizeParams: Record<string, string> = {}
  if (options.workspaceId) authorizeParams.workspace_id = options.workspaceId
  if (options.organizationId) authorizeParams.orgUUID = options.organizationId
  return resolveConfig({
    clientId: options.clientId || ANTHROPIC_CLI_CLIENT_ID,
    authorizeUrl: `${consoleUrl}/oauth/authorize`,
    tokenUrl: `${baseUrl}/v1/oauth/token`,
    redirectUri: `${consoleUrl}/oauth/code/callback?app=anthropic-cli`,
    loopbackRedirectUri: 'http://localhost/callback',
    scopes: options.scopes || ANTHROPIC_CLI_SCOPES,
    tokenRequestFormat: 'form',
    includeStateInTokenRequest: true,
    refreshRequestFormat: 'json',
    refreshRequestHeaders: { 'anthropic-beta': ANTHROPIC_OAUTH_BETA },
    authorizeParams,
  })
}

/** {@link anthropicCliConfig} with its defaults: the public Console and API. */
export const ANTHROPIC_CLI_OAUTH_CONFIG: ResolvedOAuthConfig = /* @__PURE__ */ anthropicCliConfig()
