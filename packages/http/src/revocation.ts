// Token revocation (RFC 7009).
import {
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  invalidArgument,
  OAUTH_UNSUPPORTED,
  OAuthError,
  OAuthFlowError,
  resolveConfig,
  type OAuthConfig,
  type OAuthTokens,
  type ResolvedOAuthConfig,
} from '@oauth/core'
import { clientAuthentication, sentForms } from './client-auth.js'
import { errorFromResponse } from './response.js'
import { endpoint, transport, type TokenRequestOptions } from './transport.js'

/** Options for {@link revokeToken}. */
export interface RevokeOptions extends Pick<TokenRequestOptions, 'fetch' | 'signal' | 'timeoutMs' | 'maxResponseBytes' | 'now'> {
  /** What the token is (RFC 7009 §2.1), to save the server a lookup. */
  tokenTypeHint?: 'refresh_token' | 'access_token'
}

/**
 * Revokes a token at the server's revocation endpoint (RFC 7009): revoking a refresh token
 * ends the whole login there, so a copy of it left anywhere is useless. The client
 * authenticates as its config says. A server without a `revocationUrl` is `OAUTH_UNSUPPORTED`
 * (nothing sent); a refusal is an `OAuthHttpError`. It is sent once, never retried: the caller
 * decides what a failure means (a logout removes the local login anyway).
 *
 * @example
 * ```ts
 * import { discoverOAuthConfig, revokeToken } from '@oauth/http'
 * const config = await discoverOAuthConfig('https://id.example.com', { clientId: 'my-cli' })
 * await revokeToken(tokens.refreshToken!, config, { tokenTypeHint: 'refresh_token' })
 * ```
 */
export async function revokeToken(token: string, config: OAuthConfig, options: RevokeOptions = {}): Promise<void> {
  const c = resolveConfig(config)
  if (typeof token !== 'string' || token === '') {
    throw invalidArgument(typeof token === 'string' ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE, 'revokeToken needs the token as a non-empty string.')
  }
  if (!c.revocationUrl) {
    throw new OAuthFlowError(OAUTH_UNSUPPORTED, `The server of client ${c.clientId} has no revocation endpoint (\`revocationUrl\`): nothing was sent, and the token stays valid at the server until it expires.`)
  }
  const { as, insecure } = endpoint(c, c.revocationUrl, 'revocation_endpoint')
  const oauth = await import('oauth4webapi')
  const response = await oauth.revocationRequest(as, { client_id: c.clientId }, await clientAuthentication(oauth, c), token, {
    additionalParameters: options.tokenTypeHint ? { token_type_hint: options.tokenTypeHint } : {},
    [oauth.customFetch]: transport(c, options, 'revocation endpoint') as typeof fetch,
    [oauth.allowInsecureRequests]: insecure,
  })
  const text = await response.text()
  // RFC 7009 §2.2: 200 for a revoked token, and also for one the server no longer knows.
  if (response.status !== 200) throw errorFromResponse(response, text, new URL(c.revocationUrl).origin, (options.now ?? Date.now)(), sentForms(c, [token]), 'revocation endpoint')
}

/**
 * Revokes a login's refresh token (or, without one, its access token), best effort: the
 * result says whether it was revoked, and why not. Only a programming error is thrown.
 */
export async function revokeLogin(tokens: OAuthTokens, config: ResolvedOAuthConfig, options: TokenRequestOptions): Promise<{ revoked: boolean; revocationError?: OAuthError }> {
  if (!config.revocationUrl) {
    return { revoked: false, revocationError: new OAuthFlowError(OAUTH_UNSUPPORTED, 'The server has no revocation endpoint: the tokens stay valid there until they expire.') }
  }
  try {
    const [token, hint] = tokens.refreshToken ? [tokens.refreshToken, 'refresh_token' as const] : [tokens.accessToken, 'access_token' as const]
    await revokeToken(token, config, { ...options, tokenTypeHint: hint })
    return { revoked: true }
  } catch (err) {
    if (err instanceof OAuthError) return { revoked: false, revocationError: err }
    throw err
  }
}
