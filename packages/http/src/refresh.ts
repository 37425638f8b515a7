// The refresh-token grant (RFC 6749 §6).
import {
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  invalidArgument,
  resolveConfig,
  type OAuthConfig,
  type OAuthTokens,
} from '@oauth/core'
import { tokenRequest } from './token-request.js'
import type { TokenRequestOptions } from './transport.js'

/**
 * Exchanges a refresh token for a new token set (RFC 6749 §6). When the server does not
 * rotate (no `refresh_token` in the answer), the old refresh token is kept.
 * Prefer `TokenManager`, which also coordinates concurrent refreshes and persistence.
 *
 * @example
 * ```ts
 * import { refreshAccessToken } from '@oauth/http'
 * const fresh = await refreshAccessToken(tokens.refreshToken!, config)
 * ```
 */
export async function refreshAccessToken(refreshToken: string, config: OAuthConfig, options: TokenRequestOptions = {}): Promise<OAuthTokens> {
  const c = resolveConfig(config)
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    throw invalidArgument(typeof refreshToken === 'string' ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE, 'refreshAccessToken needs the refresh token as a non-empty string.')
  }
  // No `scope`, on any server: the grant keeps its scopes, and Anthropic's endpoint answers a
  // refresh that sends one with `invalid_scope` (earendil-works/pi#2357, 2026-03).
  const tokens = await tokenRequest(c, options, [refreshToken], (oauth, as, client, auth, opts) =>
    oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, c.resource ? { ...opts, additionalParameters: { resource: c.resource } } : opts),
  )
  return tokens.refreshToken === undefined ? { ...tokens, refreshToken } : tokens
}
