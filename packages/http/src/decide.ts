// When to refresh: the manager's timing policy as one pure function, tested as a table.
import { isExpired, type OAuthTokens } from '@oauth/core'

/**
 * What a caller asking for a token gets now:
 * - `fresh`: the token held, as it is (not expiring; or a long-lived login, with no refresh
 *   token, still valid; or a cooldown after a 429 is running and the token still works);
 * - `background`: the token held, while one refresh runs in the background (expiring, but
 *   valid for longer than the caller must have);
 * - `wait`: the caller waits for a refresh (too little validity left, or none);
 * - `cooldown`: nothing to serve and nothing may be sent before the server's `Retry-After` ends.
 */
export type Decision = 'fresh' | 'background' | 'wait' | 'cooldown'

/** The timing policy of one manager. */
export interface TimingPolicy {
  /** A token counts as expiring this long before its end ({@link isExpired}). */
  bufferSeconds: number
  /** Below this much validity callers wait for a refresh (or a tenth of a shorter lifetime). */
  minValidityMs: number
}

/** Below this much validity callers wait for a refresh: `minValidityMs`, or a tenth of a shorter lifetime. */
function mustRefreshMs(tokens: OAuthTokens, policy: TimingPolicy): number {
  const lifetime = tokens.issuedAt === undefined ? Infinity : tokens.expiresAt! - tokens.issuedAt
  return Math.min(policy.minValidityMs, lifetime / 10)
}

/** What to do with `tokens` at `now` (see {@link Decision}). */
export function decide(tokens: OAuthTokens, now: number, policy: TimingPolicy): Decision {
  if (!isExpired(tokens, now, policy.bufferSeconds)) return 'fresh'
  const valid = tokens.expiresAt! > now
  // Without a refresh token (a long-lived login) a token is used until it ends, never refreshed.
  if (!tokens.refreshToken && valid) return 'fresh'
  // The token endpoint asked for a pause (429): nothing is sent before it ends; a valid token is served.
  if (tokens.refreshNotBefore !== undefined && tokens.refreshNotBefore > now) return valid ? 'fresh' : 'cooldown'
  return tokens.expiresAt! - now > mustRefreshMs(tokens, policy) ? 'background' : 'wait'
}
