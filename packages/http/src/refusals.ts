// How refusals of a refresh are read, beyond what the server's error code says.
import { OAUTH_INVALID_GRANT, OAUTH_RATE_LIMITED, OAUTH_TOKEN_ENDPOINT_ERROR } from '@oauth/core'
import { OAuthHttpError } from './errors.js'

/** A 429 without `Retry-After`: no refresh is sent for this long. */
export const DEFAULT_COOLDOWN_MS = 60_000

/**
 * Refusals that only the refresh token can explain, from servers that do not answer
 * `invalid_grant` as RFC 6749 §5.2 says: a 400 or 403 whose error, if any, is not one of the
 * standard codes that blame the request or the client (`invalid_client`, `invalid_request`,
 * `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`). Glewlwyd 2.7 answers a
 * reused rotated refresh token with a 400 and an empty body, and a replayed code with 403
 * `invalid_code`. A 401 is client authentication (RFC 6749 §5.2), never this.
 */
const BLAMES_CLIENT = new Set(['invalid_client', 'invalid_request', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope'])

/** The refusal, when it is one that only a spent or revoked refresh token explains. */
export function looksSpent(err: unknown): OAuthHttpError | undefined {
  if (!(err instanceof OAuthHttpError) || err.code !== OAUTH_TOKEN_ENDPOINT_ERROR) return undefined
  if (err.status !== 400 && err.status !== 403) return undefined
  return err.error !== undefined && BLAMES_CLIENT.has(err.error) ? undefined : err
}

/** A refusal {@link looksSpent} found, as the `invalid_grant` it means, once no other holder renewed the login. */
export function spentAsInvalidGrant(err: OAuthHttpError): OAuthHttpError {
  const said = err.error ? `${err.error}${err.description ? `: ${err.description}` : ''}` : 'no OAuth error in the answer'
  return new OAuthHttpError(
    OAUTH_INVALID_GRANT,
    `The authorization server refused the refresh token (HTTP ${err.status}, ${said}), and no other process had renewed it: it was spent or revoked, so log in again. (Read as invalid_grant although the server did not say so; if the client secret or key changed, check that first.)`,
    { status: err.status, error: err.error, description: err.description, retryable: false, cause: err },
  )
}

/** The error of a refresh not sent because a cooldown after a 429 has `waitMs` to run. */
export function coolingDown(waitMs: number): OAuthHttpError {
  return new OAuthHttpError(
    OAUTH_RATE_LIMITED,
    `The token endpoint asked for a pause (HTTP 429); no refresh is sent for another ${Math.ceil(waitMs / 1000)} s. The login is fine; try again then.`,
    { status: 429, retryable: true, retryAfterMs: waitMs },
  )
}
