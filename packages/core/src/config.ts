import { OAUTH_INVALID_CONFIG, OAuthFlowError } from './errors.js'
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
  redirectUri: string
  /** Space-separated scopes; omitted from the request when empty. */
  scopes?: string
  /** `form` (RFC 6749 §4.1.3, the default) or `json` (the Anthropic endpoint). */
  tokenRequestFormat?: 'form' | 'json'
  /** Send `state` in the code-exchange body too (the Anthropic endpoint wants it). Default false. */
  includeStateInTokenRequest?: boolean
  /** Extra query parameters for the authorization URL. */
  authorizeParams?: Readonly<Record<string, string>>
  /** `User-Agent` for token-endpoint requests. Default: the runtime's own. */
  userAgent?: string
}

/** An {@link OAuthConfig} with every optional field filled in. */
export type ResolvedOAuthConfig = Readonly<Required<Omit<OAuthConfig, 'userAgent'>> & Pick<OAuthConfig, 'userAgent'>>

/**
 * Checks the fields every flow needs, at the public boundary. Throws
 * {@link OAuthFlowError} (`OAUTH_INVALID_CONFIG`) naming the bad field.
 */
export function assertConfig(config: OAuthConfig): void {
  for (const key of ['clientId', 'authorizeUrl', 'tokenUrl', 'redirectUri'] as const) {
    const value = config?.[key]
    if (typeof value !== 'string' || !value || (key !== 'clientId' && !URL.canParse(value))) {
      throw new OAuthFlowError(
        OAUTH_INVALID_CONFIG,
        `OAuth config \`${key}\` must be a non-empty ${key === 'clientId' ? 'string' : 'absolute URL'}.`,
      )
    }
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
  if (config === undefined) return ANTHROPIC_OAUTH_CONFIG
  assertConfig(config)
  return {
    clientId: config.clientId,
    authorizeUrl: config.authorizeUrl,
    tokenUrl: config.tokenUrl,
    redirectUri: config.redirectUri,
    scopes: config.scopes ?? '',
    // Checked where it is used (`@oauth/http`).
    tokenRequestFormat: config.tokenRequestFormat ?? 'form',
    includeStateInTokenRequest: config.includeStateInTokenRequest ?? false,
    authorizeParams: config.authorizeParams ?? {},
    userAgent: config.userAgent,
  }
}
