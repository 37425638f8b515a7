// The Python plan's calls without a config (`build_authorization_url(config=None)`, …) target the
// subscription preset. Core and http have no default server, so these re-exports add it back,
// here where a user of the plan looks for them; each passes any config given as it is.
import { ANTHROPIC_OAUTH_CONFIG, createAnthropicFetch, DEFAULT_CLIENT_ID, type AnthropicFetchOptions } from '@oauth/anthropic'
import { buildAuthorizationUrl as buildUrl, type AuthorizationRequest, type OAuthConfig, type OAuthState, type OAuthTokens } from '@oauth/core'
import {
  createOAuthFetch as createGenericFetch,
  exchangeCodeForTokens as exchange,
  refreshAccessToken as refresh,
  TokenManager as GenericTokenManager,
  type AccessTokenSource,
  type ExchangeOptions,
  type TokenManagerOptions as GenericTokenManagerOptions,
  type TokenRequestOptions,
} from '@oauth/http'

/**
 * `buildAuthorizationUrl` of `@oauth/core`, with the subscription preset when no config is given.
 *
 * @example
 * ```ts
 * import { buildAuthorizationUrl } from '@oauth/client'
 * const { url, oauthState } = await buildAuthorizationUrl() // the subscription preset
 * ```
 */
export function buildAuthorizationUrl(config: OAuthConfig = ANTHROPIC_OAUTH_CONFIG): Promise<AuthorizationRequest> {
  return buildUrl(config)
}

/**
 * `exchangeCodeForTokens` of `@oauth/http`, with the subscription preset when no config is given.
 *
 * @example
 * ```ts
 * import { buildAuthorizationUrl, exchangeCodeForTokens, parseAuthCode } from '@oauth/client'
 * const { url, oauthState } = await buildAuthorizationUrl()
 * console.log(`Open ${url}`)
 * const { code, state } = parseAuthCode(pastedByTheUser)
 * const tokens = await exchangeCodeForTokens(code, state, oauthState)
 * ```
 */
export function exchangeCodeForTokens(code: string, state: string, oauthState: OAuthState, config: OAuthConfig = ANTHROPIC_OAUTH_CONFIG, options?: ExchangeOptions): Promise<OAuthTokens> {
  return exchange(code, state, oauthState, config, options)
}

/**
 * `refreshAccessToken` of `@oauth/http`, with the subscription preset when no config is given.
 *
 * @example
 * ```ts
 * import { refreshAccessToken } from '@oauth/client'
 * const fresh = await refreshAccessToken(tokens.refreshToken!)
 * ```
 */
export function refreshAccessToken(refreshToken: string, config: OAuthConfig = ANTHROPIC_OAUTH_CONFIG, options?: TokenRequestOptions): Promise<OAuthTokens> {
  return refresh(refreshToken, config, options)
}

/** Options for the client's {@link TokenManager}: as `@oauth/http`'s, with `oauthConfig` defaulting to the subscription preset. */
export type TokenManagerOptions = Omit<GenericTokenManagerOptions, 'oauthConfig'> & { oauthConfig?: OAuthConfig }

/**
 * `TokenManager` of `@oauth/http`, with the subscription preset when no `oauthConfig` is given.
 *
 * @example
 * ```ts
 * import { TokenManager, TokenStorage } from '@oauth/client'
 * const manager = new TokenManager({ tokenStorage: new TokenStorage() })
 * const accessToken = await manager.getAccessToken()
 * ```
 */
export class TokenManager extends GenericTokenManager {
  constructor(options: TokenManagerOptions = {}) {
    super({ ...options, oauthConfig: options.oauthConfig ?? ANTHROPIC_OAUTH_CONFIG })
  }
}

/**
 * `createOAuthFetch` of `@oauth/http`; for a manager of the subscription preset's client (or with
 * `anthropic: true`), `createAnthropicFetch` of `@oauth/anthropic`: the API's OAuth headers, and
 * its policy refusals as `OAuthPolicyError`s.
 *
 * @example
 * ```ts
 * import { createOAuthFetch, TokenManager } from '@oauth/client'
 * const oauthFetch = createOAuthFetch(new TokenManager())
 * const res = await oauthFetch('https://api.anthropic.com/v1/models')
 * ```
 */
export function createOAuthFetch(manager: AccessTokenSource, options: AnthropicFetchOptions & { anthropic?: boolean } = {}): typeof fetch {
  const { anthropic, ...rest } = options
  return (anthropic ?? manager.oauthConfig?.clientId === DEFAULT_CLIENT_ID) ? createAnthropicFetch(manager, rest) : createGenericFetch(manager, rest)
}
