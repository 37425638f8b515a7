// The other grants at the token endpoint: client credentials (RFC 6749 §4.4), the JWT bearer
// grant (RFC 7523 §2.1) and token exchange (RFC 8693), with the same client authentication,
// retries and error taxonomy as the code exchange and the refresh.
import { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, invalidArgument, OAUTH_INVALID_TOKEN_RESPONSE, OAuthFlowError, resolveConfig, type OAuthConfig, type OAuthTokens } from '@oauth/core'
import { errorFromResponse } from './response.js'
import { tokenRequest } from './token-request.js'
import type { TokenRequestOptions } from './transport.js'

/** The client credentials grant (RFC 6749 §4.4): a client acting as itself. */
export const GRANT_CLIENT_CREDENTIALS = 'client_credentials'
/** The JWT bearer grant (RFC 7523 §2.1): an assertion (such as an ID-JAG) for an access token. */
export const GRANT_JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
/** Token exchange (RFC 8693): one token for another; see {@link exchangeToken}. */
export const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'

function assertParameters(name: string, grantType: string, parameters: Readonly<Record<string, string>>): void {
  if (typeof grantType !== 'string' || !grantType) throw invalidArgument(ERR_INVALID_ARG_TYPE, `${name} needs the grant type as a non-empty string.`)
  if (typeof parameters !== 'object' || parameters === null || !Object.values(parameters).every((v) => typeof v === 'string')) {
    throw invalidArgument(ERR_INVALID_ARG_TYPE, `${name} needs the grant's parameters as an object of strings.`)
  }
  if ('grant_type' in parameters) throw invalidArgument(ERR_INVALID_ARG_VALUE, `${name}: give the grant type as its own argument, not in the parameters.`)
}

/**
 * Sends a grant that answers with a Bearer access token: `client_credentials` (a service acting
 * as itself), the JWT bearer grant with an `assertion`, or any extension grant. The client
 * authenticates as its config says (`client_secret_basic`, `client_secret_post`,
 * `private_key_jwt`, or none); the config's `resource` and `scopes` are sent unless `parameters`
 * say otherwise. Values of `parameters` named `assertion`, `subject_token` or `actor_token` never
 * appear in an error.
 *
 * @example
 * ```ts
 * import { requestTokenGrant } from '@oauth/http'
 * const tokens = await requestTokenGrant('client_credentials', {}, { ...config, clientSecret: 's3cret' })
 * ```
 */
export async function requestTokenGrant(grantType: string, parameters: Readonly<Record<string, string>>, config: OAuthConfig, options: TokenRequestOptions = {}): Promise<OAuthTokens> {
  assertParameters('requestTokenGrant', grantType, parameters)
  const c = resolveConfig(config)
  const body: Record<string, string> = { ...(c.scopes ? { scope: c.scopes } : {}), ...(c.resource ? { resource: c.resource } : {}), ...parameters }
  return tokenRequest(c, options, secretsOf(parameters), (oauth, as, client, auth, opts) => oauth.genericTokenEndpointRequest(as, client, auth, grantType, body, opts))
}

/** What a token exchange issued (RFC 8693 §2.2.1): not always an access token for an API. */
export interface ExchangedToken {
  /** The token issued (an ID-JAG, an access token, …): a secret. */
  token: string
  /** `issued_token_type`, as `urn:ietf:params:oauth:token-type:id-jag`. */
  issuedTokenType: string
  /** `token_type`: `Bearer` for an access token, `N_A` for other tokens. */
  tokenType: string
  /** When it expires (epoch ms), if the server said. */
  expiresAt?: number
}

/**
 * Token exchange (RFC 8693): trades a `subject_token` for another token, such as an identity
 * assertion (ID-JAG) that another authorization server accepts with the JWT bearer grant (the
 * MCP cross-app access extension). The answer's token is returned whatever its `token_type`.
 *
 * @example
 * ```ts
 * import { exchangeToken, GRANT_JWT_BEARER, requestTokenGrant } from '@oauth/http'
 * // At the enterprise identity provider: the user's ID token for an ID-JAG naming the other server.
 * const idp = { ...config, tokenUrl: 'https://idp.example.com/oauth2/token' }
 * const idToken = '…' // the ID token the identity provider issued at the user's sign-in
 * const jag = await exchangeToken({ subject_token: idToken, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token', requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag', audience: 'https://as.example.com' }, idp)
 * // At that server: the ID-JAG for an access token (RFC 7523).
 * const accessTokens = await requestTokenGrant(GRANT_JWT_BEARER, { assertion: jag.token }, { ...config, clientSecret: 's3cret' })
 * ```
 */
export async function exchangeToken(parameters: Readonly<Record<string, string>>, config: OAuthConfig, options: TokenRequestOptions = {}): Promise<ExchangedToken> {
  assertParameters('exchangeToken', GRANT_TOKEN_EXCHANGE, parameters)
  if (!parameters.subject_token || !parameters.subject_token_type) throw invalidArgument(ERR_INVALID_ARG_VALUE, 'exchangeToken needs `subject_token` and `subject_token_type` (RFC 8693 §2.1).')
  const c = resolveConfig(config)
  const body: Record<string, string> = { ...(c.resource ? { resource: c.resource } : {}), ...parameters }
  return tokenRequest(
    c,
    options,
    secretsOf(parameters),
    (oauth, as, client, auth, opts) => oauth.genericTokenEndpointRequest(as, client, auth, GRANT_TOKEN_EXCHANGE, body, opts),
    async (response, { origin, now, secrets }) => {
      const text = await response.text()
      if (response.status !== 200) throw errorFromResponse(response, text, origin, now, secrets)
      let json: Record<string, unknown> | undefined
      try {
        const parsed: unknown = JSON.parse(text)
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) json = parsed as Record<string, unknown>
      } catch {
        // reported below
      }
      const { access_token: token, issued_token_type: issuedTokenType, token_type: tokenType, expires_in: expiresIn } = json ?? {}
      if (typeof token !== 'string' || !token || typeof issuedTokenType !== 'string' || typeof tokenType !== 'string') {
        throw new OAuthFlowError(OAUTH_INVALID_TOKEN_RESPONSE, `The token exchange at ${origin} answered 200 without \`access_token\`, \`issued_token_type\` and \`token_type\` (RFC 8693 §2.2.1).`)
      }
      return { token, issuedTokenType, tokenType, ...(typeof expiresIn === 'number' && expiresIn >= 0 ? { expiresAt: now + expiresIn * 1000 } : {}) }
    },
  )
}

function secretsOf(parameters: Readonly<Record<string, string>>): string[] {
  return ['assertion', 'subject_token', 'actor_token'].map((name) => parameters[name]).filter((v): v is string => !!v)
}
