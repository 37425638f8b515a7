/**
 * Stable error codes. Callers switch on `error.code`, never on message text. Every code any
 * `@oauth/*` package throws is exported here, so one import serves, and each one's doc names
 * the class that carries it:
 *
 * - `TypeError` (`ERR_INVALID_ARG_*`, as Node and oauth4webapi do): the caller passed a bad
 *   argument or config. Fix the call; nothing was sent or stored.
 * - {@link OAuthFlowError}: the login itself (a pasted code, the state, consent, no login, an
 *   unusable token response).
 * - `OAuthHttpError` (`@oauth/http`): the token endpoint refused, failed or did not answer.
 * - {@link TokenStorageError}: a store could not load, save, clear or lock.
 * - {@link OAuthPolicyError}: the API refused a valid token by policy.
 */

/** An argument or config field has the wrong type (a number where a URL belongs). Carried by `TypeError`. */
export const ERR_INVALID_ARG_TYPE = 'ERR_INVALID_ARG_TYPE'
/** An argument or config field has the right type but a value that cannot work (an empty code, a token URL on `ftp:`, a login mode the config cannot do). Carried by `TypeError`. */
export const ERR_INVALID_ARG_VALUE = 'ERR_INVALID_ARG_VALUE'

/** What was pasted is not `code#state` or a callback URL with both, or the input ended first. Carried by {@link OAuthFlowError}. */
export const OAUTH_INVALID_AUTH_CODE = 'OAUTH_INVALID_AUTH_CODE'
/** The returned state is not the one this login sent: the code was not spent. Carried by {@link OAuthFlowError}. */
export const OAUTH_STATE_MISMATCH = 'OAUTH_STATE_MISMATCH'
/** The user (or the server on their behalf) declined: the callback or the device grant said `access_denied`. Carried by {@link OAuthFlowError}. */
export const OAUTH_AUTHORIZATION_DENIED = 'OAUTH_AUTHORIZATION_DENIED'
/**
 * The authorization server refused the request itself (`invalid_request`, `unauthorized_client`,
 * `invalid_scope`, `server_error`, … in the callback, RFC 6749 §4.1.2.1): a problem with the
 * client's configuration or the server, not the user's choice. The message keeps the server's
 * `error_description`. Carried by {@link OAuthFlowError}.
 */
export const OAUTH_AUTHORIZATION_FAILED = 'OAUTH_AUTHORIZATION_FAILED'
/** The server has no endpoint for what was asked (no revocation endpoint, no device authorization endpoint); nothing was sent. Carried by {@link OAuthFlowError}. */
export const OAUTH_UNSUPPORTED = 'OAUTH_UNSUPPORTED'
/** Nobody completed the interactive login (no paste, no redirect, no device approval) in the time allowed. Carried by {@link OAuthFlowError}. */
export const OAUTH_LOGIN_TIMEOUT = 'OAUTH_LOGIN_TIMEOUT'
/** No tokens, or an expired token without a refresh token: log in. Carried by {@link OAuthFlowError}. */
export const OAUTH_NOT_LOGGED_IN = 'OAUTH_NOT_LOGGED_IN'
/**
 * The token endpoint answered 200 with something that is not a usable token response (or an
 * absurdly large one). Carried by {@link OAuthFlowError}: `tokensFromResponse` in this package
 * raises it too, where the HTTP layer's class does not exist.
 */
export const OAUTH_INVALID_TOKEN_RESPONSE = 'OAUTH_INVALID_TOKEN_RESPONSE'
/** The code or refresh token was refused (`invalid_grant`): log in again. Never retried. Carried by `OAuthHttpError`. */
export const OAUTH_INVALID_GRANT = 'OAUTH_INVALID_GRANT'
/** The token endpoint is rate limiting (429), or asked for a pause that has not ended; the login is kept. Carried by `OAuthHttpError`. */
export const OAUTH_RATE_LIMITED = 'OAUTH_RATE_LIMITED'
/** The token endpoint failed (5xx); retried with backoff, and the login is kept. Carried by `OAuthHttpError`. */
export const OAUTH_SERVER_ERROR = 'OAUTH_SERVER_ERROR'
/** Another refusal from the token endpoint (4xx such as `invalid_client`, or a redirect). Carried by `OAuthHttpError`. */
export const OAUTH_TOKEN_ENDPOINT_ERROR = 'OAUTH_TOKEN_ENDPOINT_ERROR'
/**
 * Discovery failed: the issuer publishes no metadata, a document that is not JSON, one for another
 * issuer (RFC 8414 §3.3), one without the endpoints a code login needs, or its server refused
 * the request. Nothing was sent to any token endpoint. Carried by `OAuthHttpError`.
 */
export const OAUTH_DISCOVERY_ERROR = 'OAUTH_DISCOVERY_ERROR'
/**
 * The device authorization endpoint (RFC 8628 §3.1) refused the request, or answered without a
 * device code, a user code and an http(s) page; nothing was shown to the user. Carried by `OAuthHttpError`.
 */
export const OAUTH_DEVICE_AUTHORIZATION_ERROR = 'OAUTH_DEVICE_AUTHORIZATION_ERROR'
/** Could not connect: the request was never sent, so it was retried. Carried by `OAuthHttpError`. */
export const OAUTH_NETWORK_ERROR = 'OAUTH_NETWORK_ERROR'
/** The connection failed after the request may have been sent; not re-sent, as reuse can revoke the login. Carried by `OAuthHttpError`. */
export const OAUTH_RESPONSE_LOST = 'OAUTH_RESPONSE_LOST'
/** The token endpoint did not answer in time; not re-sent, as reuse can revoke the login. Carried by `OAuthHttpError`. */
export const OAUTH_TIMEOUT = 'OAUTH_TIMEOUT'
/** A plain `http:` token URL on a host that is not loopback: refused before anything is sent. Carried by `OAuthHttpError`. */
export const OAUTH_INSECURE_ENDPOINT = 'OAUTH_INSECURE_ENDPOINT'
/**
 * An Anthropic account endpoint (`/api/oauth/profile`, `/api/oauth/usage`, API-key creation)
 * refused the token for a scope it lacks: a long-lived `user:inference` token has no
 * `user:profile`. The login is fine for inference; `requiredScopes` says what is missing.
 * Carried by `OAuthHttpError`.
 */
export const OAUTH_SCOPE_INSUFFICIENT = 'OAUTH_SCOPE_INSUFFICIENT'
/** An Anthropic account endpoint refused the request or answered something unusable (4xx, or a body of the wrong shape). Carried by `OAuthHttpError`. */
export const OAUTH_API_ERROR = 'OAUTH_API_ERROR'
/** The stored tokens cannot be parsed; the store was left as it is. Carried by {@link TokenStorageError}. */
export const TOKEN_STORE_CORRUPT = 'TOKEN_STORE_CORRUPT'
/** The store cannot be read (permissions, a directory in place of the file). Carried by {@link TokenStorageError}. */
export const TOKEN_STORE_UNREADABLE = 'TOKEN_STORE_UNREADABLE'
/** The backend cannot be reached (a locked keychain, Redis down); `composeStores` falls back past it. Carried by {@link TokenStorageError}. */
export const TOKEN_STORE_UNAVAILABLE = 'TOKEN_STORE_UNAVAILABLE'
/** Saving failed; the previous tokens are unchanged. Carried by {@link TokenStorageError}. */
export const TOKEN_STORE_WRITE_FAILED = 'TOKEN_STORE_WRITE_FAILED'
/** Another holder kept the store lock longer than the wait allowed. Carried by {@link TokenStorageError}. */
export const TOKEN_STORE_LOCK_TIMEOUT = 'TOKEN_STORE_LOCK_TIMEOUT'
/** The lock was taken again from inside the section it guards, which would wait for itself forever. Carried by {@link TokenStorageError}. */
export const TOKEN_STORE_LOCK_REENTERED = 'TOKEN_STORE_LOCK_REENTERED'
/** This holder's lock lapsed (it was paused past its lease, or another host broke it): its work was stopped and nothing was saved. Carried by {@link TokenStorageError}. */
export const TOKEN_STORE_LOCK_LOST = 'TOKEN_STORE_LOCK_LOST'
/** The store cannot be written (a read-only mount, a directory this user may not write): refreshed tokens stay in memory. Carried by {@link TokenStorageError}. */
export const TOKEN_STORE_READ_ONLY = 'TOKEN_STORE_READ_ONLY'

/**
 * A bad argument: a `TypeError` with `code` {@link ERR_INVALID_ARG_TYPE} or
 * {@link ERR_INVALID_ARG_VALUE}, thrown before anything is sent or stored.
 *
 * @example
 * ```ts
 * import { ERR_INVALID_ARG_VALUE, invalidArgument } from '@oauth/core'
 * const err = invalidArgument(ERR_INVALID_ARG_VALUE, '`tokenUrl` must be an absolute URL.')
 * err instanceof TypeError // true
 * ```
 */
export function invalidArgument(code: typeof ERR_INVALID_ARG_TYPE | typeof ERR_INVALID_ARG_VALUE, message: string): TypeError & { code: string } {
  return Object.assign(new TypeError(message), { code })
}

/**
 * Refuses anything but an options object with keys from `allowed`: `new FileTokenStore('/path')`
 * or `{ file: … }` is a `TypeError` naming the expected shape (`ERR_INVALID_ARG_TYPE` for a
 * non-object, `ERR_INVALID_ARG_VALUE` for unknown keys), never silently the defaults.
 *
 * @example
 * ```ts
 * import { assertOptions } from '@oauth/core'
 * assertOptions({ path: '/tmp/t.json' }, 'FileTokenStore', ['path', 'lock']) // passes
 * ```
 */
export function assertOptions(options: unknown, name: string, allowed: readonly string[]): void {
  if (options === undefined) return
  const bad = typeof options !== 'object' || !options || Array.isArray(options)
  const unknown = bad ? [] : Object.keys(options).filter((key) => !allowed.includes(key))
  if (bad || unknown.length) {
    const got = bad ? `got ${Array.isArray(options) ? 'an array' : options === null ? 'null' : `a ${typeof options}`}` : `has no option ${unknown.map((k) => `\`${k.slice(0, 40)}\``).join(', ')}`
    throw invalidArgument(bad ? ERR_INVALID_ARG_TYPE : ERR_INVALID_ARG_VALUE, `${name} takes { ${allowed.join(', ')} }; ${got}.`)
  }
}

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

/** A problem with the login itself: a malformed pasted code, a state mismatch, a denied consent, no sign-in in time, no login at all. */
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
/**
 * HTTP 400 "Claude Code 2.1.275 does not support this model; version 2.1.280 or newer is required"
 * (`details.error_code: claude_code_version_too_old`): the model is served only to newer client
 * versions than the one claimed. Carried by {@link OAuthPolicyError}.
 */
export const OAUTH_POLICY_CLIENT_VERSION = 'OAUTH_POLICY_CLIENT_VERSION'
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
