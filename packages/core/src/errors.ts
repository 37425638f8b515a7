/**
 * Stable error codes. Callers switch on `error.code`, never on message text.
 * Every code any `@oauth/*` package throws is listed here so one import serves.
 */
/** A config or argument is malformed; the message names the field. */
export const OAUTH_INVALID_CONFIG = 'OAUTH_INVALID_CONFIG'
/** What was pasted is not `code#state` or a callback URL with both. */
export const OAUTH_INVALID_AUTH_CODE = 'OAUTH_INVALID_AUTH_CODE'
/** The returned state is not the one this login sent: the code was not spent. */
export const OAUTH_STATE_MISMATCH = 'OAUTH_STATE_MISMATCH'
/** The authorization server answered the callback with an `error` (the user declined, say). */
export const OAUTH_AUTHORIZATION_DENIED = 'OAUTH_AUTHORIZATION_DENIED'
/** The token endpoint answered 200 with something that is not a usable token response. */
export const OAUTH_INVALID_TOKEN_RESPONSE = 'OAUTH_INVALID_TOKEN_RESPONSE'
/** The code or refresh token was refused (`invalid_grant`): log in again. Never retried. */
export const OAUTH_INVALID_GRANT = 'OAUTH_INVALID_GRANT'
/** The token endpoint is rate limiting (429); retried with backoff, and the login is kept. */
export const OAUTH_RATE_LIMITED = 'OAUTH_RATE_LIMITED'
/** The token endpoint failed (5xx); retried with backoff, and the login is kept. */
export const OAUTH_SERVER_ERROR = 'OAUTH_SERVER_ERROR'
/** Another refusal from the token endpoint (4xx such as `invalid_client`, or a redirect). */
export const OAUTH_TOKEN_ENDPOINT_ERROR = 'OAUTH_TOKEN_ENDPOINT_ERROR'
/** Could not connect: the request was never sent, so it was retried. */
export const OAUTH_NETWORK_ERROR = 'OAUTH_NETWORK_ERROR'
/** The connection failed after the request may have been sent; not re-sent, as reuse can revoke the login. */
export const OAUTH_RESPONSE_LOST = 'OAUTH_RESPONSE_LOST'
/** The token endpoint did not answer in time; not re-sent, as reuse can revoke the login. */
export const OAUTH_TIMEOUT = 'OAUTH_TIMEOUT'
/** Nobody completed the interactive login (no paste, no redirect) in the time allowed. Carried by `OAuthFlowError`. */
export const OAUTH_LOGIN_TIMEOUT = 'OAUTH_LOGIN_TIMEOUT'
/** A plain `http:` token URL on a host that is not loopback. */
export const OAUTH_INSECURE_ENDPOINT = 'OAUTH_INSECURE_ENDPOINT'
/** No tokens, or an expired token without a refresh token: log in. */
export const OAUTH_NOT_LOGGED_IN = 'OAUTH_NOT_LOGGED_IN'
/** The stored tokens cannot be parsed; the store was left as it is. */
export const TOKEN_STORE_CORRUPT = 'TOKEN_STORE_CORRUPT'
/** The store cannot be read (permissions, a directory in place of the file). */
export const TOKEN_STORE_UNREADABLE = 'TOKEN_STORE_UNREADABLE'
/** The backend cannot be reached (a locked keychain, Redis down); `composeStores` falls back past it. */
export const TOKEN_STORE_UNAVAILABLE = 'TOKEN_STORE_UNAVAILABLE'
/** Saving failed; the previous tokens are unchanged. */
export const TOKEN_STORE_WRITE_FAILED = 'TOKEN_STORE_WRITE_FAILED'
/** Another holder kept the store lock longer than the wait allowed. */
export const TOKEN_STORE_LOCK_TIMEOUT = 'TOKEN_STORE_LOCK_TIMEOUT'
/** The lock was taken again from inside the section it guards, which would wait for itself forever. */
export const TOKEN_STORE_LOCK_REENTERED = 'TOKEN_STORE_LOCK_REENTERED'
/** This holder's lock lapsed (it was paused past its lease, or another host broke it): its work was stopped and nothing was saved. */
export const TOKEN_STORE_LOCK_LOST = 'TOKEN_STORE_LOCK_LOST'
/** The store cannot be written (a read-only mount, a directory this user may not write): refreshed tokens stay in memory. */
export const TOKEN_STORE_READ_ONLY = 'TOKEN_STORE_READ_ONLY'

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

/**
 * The Messages API refused a subscription token used outside Anthropic's own apps
 * (HTTP 400 "Third-party apps now draw from your extra usage…"). Carried by {@link OAuthPolicyError}.
 */
export const OAUTH_POLICY_EXTRA_USAGE = 'OAUTH_POLICY_EXTRA_USAGE'
/** HTTP 400 "This credential is only authorized for use with Claude Code…". Carried by {@link OAuthPolicyError}. */
export const OAUTH_POLICY_CLAUDE_CODE_ONLY = 'OAUTH_POLICY_CLAUDE_CODE_ONLY'
/** HTTP 400 whose only message is "Error", given to subscription tokens outside Anthropic's apps. Carried by {@link OAuthPolicyError}. */
export const OAUTH_POLICY_REFUSED = 'OAUTH_POLICY_REFUSED'
/** HTTP 401 "OAuth authentication is currently not supported". Carried by {@link OAuthPolicyError}. */
export const OAUTH_POLICY_OAUTH_UNSUPPORTED = 'OAUTH_POLICY_OAUTH_UNSUPPORTED'

/**
 * The API refused the request by policy, not because the login is bad: the token is valid,
 * so it is never refreshed for this, the request is never retried, and it is never reported
 * as "not logged in". `code` is one of the `OAUTH_POLICY_*` constants; `status` is the HTTP status.
 *
 * @example
 * ```ts
 * import { OAuthPolicyError } from '@oauth/core'
 * function explain(err: unknown) {
 *   if (err instanceof OAuthPolicyError) console.error(err.code, err.message) // e.g. 'OAUTH_POLICY_EXTRA_USAGE'
 * }
 * ```
 */
export class OAuthPolicyError extends OAuthError {
  override name = 'OAuthPolicyError'
  /** The HTTP status of the refusal (400 or 401). */
  readonly status: number

  constructor(code: string, status: number, message: string) {
    super(code, message)
    this.status = status
  }
}
