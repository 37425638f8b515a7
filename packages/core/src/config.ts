import { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, invalidArgument } from './errors.js'
import { ANTHROPIC_OAUTH_CONFIG } from './presets/anthropic.js'

/**
 * Where and how to run the authorization-code flow.
 *
 * Omit the whole config to use the Anthropic preset. Pass one to talk to any
 * RFC 6749 server: then the optional wire-format fields default to the
 * standard (form-encoded token requests, no `state` in them, no extra
 * authorize parameters, no custom `User-Agent`), never to Anthropic's.
 * To adjust the preset instead, spread {@link ANTHROPIC_OAUTH_CONFIG}.
 */
export interface OAuthConfig {
  clientId: string
  /** The authorization endpoint. */
  authorizeUrl: string
  /** The token endpoint. */
  tokenUrl: string
  /**
   * Further token endpoints, tried in order only when the one before answers 404 or cannot be
   * connected to (the request never reached a server that could spend the code or refresh
   * token); never after any other answer. The endpoint that answered is remembered for the
   * lifetime of the running program. Default none.
   */
  tokenUrlFallbacks?: readonly string[]
  redirectUri: string
  /**
   * Where the automatic login's loopback server takes the redirect, when `redirectUri` is a
   * page that shows a code to paste (the Anthropic preset: `http://localhost/callback`; the
   * port is picked at login). A loopback `redirectUri` needs none. Default none.
   */
  loopbackRedirectUri?: string
  /** Space-separated scopes; omitted from the request when empty. */
  scopes?: string
  /** `form` (RFC 6749 §4.1.3, the default) or `json` (the Anthropic endpoint). */
  tokenRequestFormat?: 'form' | 'json'
  /** Send `state` in the code-exchange body too (the Anthropic endpoint wants it). Default false. */
  includeStateInTokenRequest?: boolean
  /** Extra headers for token-endpoint requests (the Anthropic preset: `anthropic-beta`). Default none. */
  tokenRequestHeaders?: Readonly<Record<string, string>>
  /** Extra query parameters for the authorization URL. */
  authorizeParams?: Readonly<Record<string, string>>
  /** `User-Agent` for token-endpoint requests. Default: the runtime's own. */
  userAgent?: string
}

/**
 * Whether a URL's host is this machine: `localhost`, `[::1]` or any 127.0.0.0/8 address. The
 * one rule for both places that ask: the token endpoint (plain http is allowed only there) and
 * the automatic login's redirect (its loopback server listens there, RFC 8252 §7.3).
 */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)
}

/** An {@link OAuthConfig} with every optional field filled in. */
export type ResolvedOAuthConfig = Readonly<Required<Omit<OAuthConfig, 'userAgent' | 'loopbackRedirectUri'>> & Pick<OAuthConfig, 'userAgent' | 'loopbackRedirectUri'>>

/**
 * Checks the fields every flow needs, at the public boundary. Throws a `TypeError` naming
 * the bad field: `ERR_INVALID_ARG_TYPE` for a field of the wrong type (or no config object),
 * `ERR_INVALID_ARG_VALUE` for an empty string or a URL that does not parse.
 */
export function assertConfig(config: OAuthConfig): void {
  for (const key of ['clientId', 'authorizeUrl', 'tokenUrl', 'redirectUri'] as const) {
    const value = config?.[key]
    if (typeof value !== 'string' || !value || (key !== 'clientId' && !URL.canParse(value))) {
      throw invalidArgument(
        typeof value === 'string' ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE,
        `OAuth config \`${key}\` must be a non-empty ${key === 'clientId' ? 'string' : 'absolute URL'}.`,
      )
    }
  }
  const fallbacks = config.tokenUrlFallbacks
  if (fallbacks !== undefined && (!Array.isArray(fallbacks) || !fallbacks.every((url) => typeof url === 'string' && URL.canParse(url)))) {
    throw invalidArgument(Array.isArray(fallbacks) ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE, 'OAuth config `tokenUrlFallbacks` must be a list of absolute URLs.')
  }
}

/**
 * Fills in defaults and checks a config: the Anthropic preset when `config` is
 * omitted, otherwise standard RFC 6749 behaviour for every optional field.
 *
 * @example
 * ```ts
 * import { resolveConfig } from '@oauth/core'
 * resolveConfig().tokenRequestFormat // 'json' (the Anthropic preset)
 * resolveConfig({ clientId: 'app', authorizeUrl: 'https://id.example/auth', tokenUrl: 'https://id.example/token', redirectUri: 'https://app.example/cb' })
 *   .tokenRequestFormat // 'form'
 * ```
 */
export function resolveConfig(config?: OAuthConfig): ResolvedOAuthConfig {
  if (config === undefined || config === ANTHROPIC_OAUTH_CONFIG) return ANTHROPIC_OAUTH_CONFIG
  // Resolved once: the token manager resolves its config, and every refresh it sends passes
  // that result back through here.
  if (RESOLVED.has(config)) return config as ResolvedOAuthConfig
  assertConfig(config)
  const resolved: ResolvedOAuthConfig = {
    clientId: config.clientId,
    authorizeUrl: config.authorizeUrl,
    tokenUrl: config.tokenUrl,
    tokenUrlFallbacks: config.tokenUrlFallbacks ?? [],
    redirectUri: config.redirectUri,
    loopbackRedirectUri: config.loopbackRedirectUri,
    scopes: config.scopes ?? '',
    // Checked where it is used (`@oauth/http`).
    tokenRequestFormat: config.tokenRequestFormat ?? 'form',
    includeStateInTokenRequest: config.includeStateInTokenRequest ?? false,
    tokenRequestHeaders: config.tokenRequestHeaders ?? {},
    authorizeParams: config.authorizeParams ?? {},
    userAgent: config.userAgent,
  }
  RESOLVED.add(resolved)
  return resolved
}

/** Configs this module resolved: passing one back returns it as it is. (Pure: a bundle that never resolves a config drops it.) */
const RESOLVED = /* @__PURE__ */ new WeakSet<object>()
