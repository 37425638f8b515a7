/**
 * Stable error codes. Callers switch on `error.code`, never on message text.
 * Every code any `@oauth/*` package throws is listed here so one import serves.
 */
export const OAUTH_INVALID_CONFIG = 'OAUTH_INVALID_CONFIG'
export const OAUTH_INVALID_AUTH_CODE = 'OAUTH_INVALID_AUTH_CODE'
export const OAUTH_STATE_MISMATCH = 'OAUTH_STATE_MISMATCH'
export const OAUTH_AUTHORIZATION_DENIED = 'OAUTH_AUTHORIZATION_DENIED'
export const OAUTH_INVALID_TOKEN_RESPONSE = 'OAUTH_INVALID_TOKEN_RESPONSE'
export const OAUTH_INVALID_GRANT = 'OAUTH_INVALID_GRANT'
export const OAUTH_RATE_LIMITED = 'OAUTH_RATE_LIMITED'
export const OAUTH_SERVER_ERROR = 'OAUTH_SERVER_ERROR'
export const OAUTH_TOKEN_ENDPOINT_ERROR = 'OAUTH_TOKEN_ENDPOINT_ERROR'
export const OAUTH_NETWORK_ERROR = 'OAUTH_NETWORK_ERROR'
export const OAUTH_RESPONSE_LOST = 'OAUTH_RESPONSE_LOST'
export const OAUTH_TIMEOUT = 'OAUTH_TIMEOUT'
export const OAUTH_INSECURE_ENDPOINT = 'OAUTH_INSECURE_ENDPOINT'
export const OAUTH_NOT_LOGGED_IN = 'OAUTH_NOT_LOGGED_IN'
export const TOKEN_STORE_CORRUPT = 'TOKEN_STORE_CORRUPT'
export const TOKEN_STORE_UNREADABLE = 'TOKEN_STORE_UNREADABLE'
export const TOKEN_STORE_UNAVAILABLE = 'TOKEN_STORE_UNAVAILABLE'
export const TOKEN_STORE_WRITE_FAILED = 'TOKEN_STORE_WRITE_FAILED'
export const TOKEN_STORE_LOCK_TIMEOUT = 'TOKEN_STORE_LOCK_TIMEOUT'

/**
 * Base class of every error the `@oauth/*` packages throw on purpose.
 *
 * Messages say what was expected, what was found and what to do next. They
 * never contain a token, a code verifier or a token response.
 *
 * @example
 * ```ts
 * import { OAuthError, OAUTH_STATE_MISMATCH, parseAuthCode } from '@oauth/core'
 * try {
 *   parseAuthCode('not a code')
 * } catch (err) {
 *   if (err instanceof OAuthError) console.log(err.code) // 'OAUTH_INVALID_AUTH_CODE'
 * }
 * ```
 */
export class OAuthError extends Error {
  override name = 'OAuthError'
  /** A stable identifier such as `OAUTH_STATE_MISMATCH`; see the exported constants. */
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** A problem with the authorization flow itself: bad config, a malformed pasted code, a state mismatch, a denied consent. */
export class OAuthFlowError extends OAuthError {
  override name = 'OAuthFlowError'
}

/** A token store could not load, save, clear or lock. The message names the store and, for files, the path. */
export class TokenStorageError extends OAuthError {
  override name = 'TokenStorageError'
}
