import { OAuthError } from '@oauth/core'

/**
 * A request to the token endpoint or an Anthropic account endpoint that failed: the server
 * said no, it was rate limited or broken, or the request never got an answer. `code` is one of
 * `OAUTH_INVALID_GRANT`, `OAUTH_RATE_LIMITED`, `OAUTH_SERVER_ERROR`, `OAUTH_TOKEN_ENDPOINT_ERROR`,
 * `OAUTH_NETWORK_ERROR`, `OAUTH_TIMEOUT`, `OAUTH_RESPONSE_LOST`, `OAUTH_INSECURE_ENDPOINT`, and
 * for the account endpoints `OAUTH_SCOPE_INSUFFICIENT` and `OAUTH_API_ERROR`.
 * It never carries a token or a response body.
 *
 * @example
 * ```ts
 * import { OAUTH_INVALID_GRANT } from '@oauth/core'
 * import { OAuthHttpError, refreshAccessToken } from '@oauth/http'
 * try {
 *   await refreshAccessToken('a-refresh-token', config)
 * } catch (err) {
 *   if (err instanceof OAuthHttpError && err.code === OAUTH_INVALID_GRANT) console.log('log in again')
 *   else if (err instanceof OAuthHttpError && err.retryable) console.log('try again later')
 * }
 * ```
 */
export class OAuthHttpError extends OAuthError {
  override name = 'OAuthHttpError'
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined
  /** The server's error identifier (`invalid_grant`, `rate_limit_error`, …), when it gave one. */
  readonly error: string | undefined
  /** The server's description, shortened, when it gave one. */
  readonly description: string | undefined
  /** Whether sending the same request again later may succeed. */
  readonly retryable: boolean
  /** How long the server asked us to wait (`Retry-After`), in milliseconds. */
  readonly retryAfterMs: number | undefined
  /** For `OAUTH_SCOPE_INSUFFICIENT`: the scopes the endpoint asked for (any one of them). */
  readonly requiredScopes: readonly string[] | undefined

  constructor(
    code: string,
    message: string,
    details: {
      status?: number
      error?: string
      description?: string
      retryable: boolean
      retryAfterMs?: number
      requiredScopes?: readonly string[]
      cause?: unknown
    },
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause })
    this.status = details.status
    this.error = details.error
    this.description = details.description
    this.retryable = details.retryable
    this.retryAfterMs = details.retryAfterMs
    this.requiredScopes = details.requiredScopes
  }
}
