// The authorization-code grant (RFC 6749 §4.1.3, with PKCE: RFC 7636).
import {
  assertStateMatches,
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  invalidArgument,
  resolveConfig,
  type OAuthConfig,
  type OAuthState,
  type OAuthTokens,
} from '@oauth/core'
import { tokenRequest } from './token-request.js'
import type { TokenRequestOptions } from './transport.js'

/** Options for {@link exchangeCodeForTokens}. */
export interface ExchangeOptions extends TokenRequestOptions {
  /**
   * Ask for this access-token lifetime, in seconds (`expires_in` in the request). The
   * Anthropic preset's long-lived login asks for one year (`ANTHROPIC_LONG_LIVED_EXPIRES_IN_SECONDS`).
   */
  expiresIn?: number
}

/**
 * Exchanges an authorization code for tokens (RFC 6749 §4.1.3 with PKCE, RFC 7636).
 * The returned `state` is checked against `oauthState` before any request is made.
 * With the Anthropic preset the request is the JSON body that endpoint expects
 * (`code, state, grant_type, client_id, redirect_uri, code_verifier`); with any other
 * config it is a standard form-encoded request.
 *
 * @example
 * ```ts
 * import { buildAuthorizationUrl, parseAuthCode } from '@oauth/core'
 * import { exchangeCodeForTokens } from '@oauth/http'
 * const { url, oauthState } = await buildAuthorizationUrl(config)
 * console.log(`Open ${url}`)
 * const { code, state } = parseAuthCode(pastedByTheUser)
 * const tokens = await exchangeCodeForTokens(code, state, oauthState, config)
 * ```
 */
export async function exchangeCodeForTokens(
  code: string,
  state: string,
  oauthState: OAuthState,
  config: OAuthConfig,
  options: ExchangeOptions = {},
): Promise<OAuthTokens> {
  const c = resolveConfig(config)
  if (typeof code !== 'string' || code === '') {
    throw invalidArgument(typeof code === 'string' ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE, 'exchangeCodeForTokens needs the authorization code as a non-empty string.')
  }
  if (typeof oauthState?.codeVerifier !== 'string' || typeof oauthState.state !== 'string') {
    throw invalidArgument(ERR_INVALID_ARG_TYPE, 'exchangeCodeForTokens needs the oauthState ({ codeVerifier, state }) that buildAuthorizationUrl returned.')
  }
  // Before anything is sent: a code from another login must not be spent.
  assertStateMatches(oauthState, state)
  const additionalParameters: Record<string, string> = {}
  if (c.includeStateInTokenRequest) additionalParameters.state = state
  if (c.resource) additionalParameters.resource = c.resource
  if (options.expiresIn !== undefined) {
    if (!Number.isSafeInteger(options.expiresIn) || options.expiresIn <= 0) {
      throw invalidArgument(ERR_INVALID_ARG_VALUE, 'exchangeCodeForTokens: `expiresIn` must be a positive whole number of seconds.')
    }
    additionalParameters.expires_in = String(options.expiresIn)
  }
  return tokenRequest(c, options, [code, oauthState.codeVerifier], (oauth, as, client, auth, opts) => {
    const callback = oauth.validateAuthResponse(as, client, new URLSearchParams({ code, state }), oauthState.state)
    // The redirect URI sent is the one the authorization used: the code is bound to it.
    return oauth.authorizationCodeGrantRequest(as, client, auth, callback, c.redirectUri, oauthState.codeVerifier, {
      ...opts,
      additionalParameters,
    })
  })
}
