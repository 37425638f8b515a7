// The refresh protocol, run under the store's lock: re-read the store, use what another holder
// stored, or send one refresh and save its result before anyone uses it. The decisions that
// keep a shared login alive across processes are all here; token-manager.ts holds the lifecycle.
import {
  isExpired,
  OAUTH_INVALID_GRANT,
  OAUTH_NOT_LOGGED_IN,
  OAUTH_RATE_LIMITED,
  OAuthError,
  OAuthFlowError,
  TOKEN_STORE_LOCK_LOST,
  TOKEN_STORE_READ_ONLY,
  TOKEN_STORE_WRITE_FAILED,
  TokenStorageError,
  type LockLease,
  type OAuthTokens,
  type ResolvedOAuthConfig,
  type TokenStore,
} from '@oauth/core'
import { OAuthHttpError } from './errors.js'
import { refreshAccessToken } from './refresh.js'
import { coolingDown, DEFAULT_COOLDOWN_MS, looksSpent, spentAsInvalidGrant } from './refusals.js'
import type { TokenRequestOptions } from './transport.js'

/** A refresh that a logout or a new login superseded: it sent nothing more and saved nothing. */
export const SUPERSEDED = null

/** What the protocol reads and changes of one manager. */
export interface RefreshContext {
  readonly store: TokenStore | undefined
  readonly config: ResolvedOAuthConfig
  readonly request: TokenRequestOptions
  readonly bufferSeconds: number
  now(): number
  /** Whether a logout or a new login came after this refresh was asked for. */
  superseded(): boolean
  /** The tokens in memory. */
  tokens: OAuthTokens | null
  /** Whether this manager's login was read from the store (or saved to it). */
  inStore: boolean
  /** The store is empty under the lock after a load: forget the login in memory. */
  loggedOutElsewhere(): void
  /** A refresh request is about to be sent. */
  sending(): void
  /** Refreshed tokens could not be saved because the store is read-only. */
  readOnly(error: TokenStorageError): void
}

/**
 * One refresh of the token `replacing`, under the lock `lease` (if the store has one). Returns
 * the tokens to use, or {@link SUPERSEDED}.
 */
export async function refreshUnderLock(ctx: RefreshContext, replacing: string, lease?: LockLease): Promise<OAuthTokens | typeof SUPERSEDED> {
  const { store } = ctx
  if (ctx.superseded()) return SUPERSEDED
  let base = ctx.tokens
  if (store) {
    // Two processes refreshing one rotating token: re-read under the lock, and use what
    // the other one stored instead of spending the refresh token it already spent.
    const stored = await store.load()
    if (!stored && ctx.inStore) {
      // Logged out elsewhere (`anthropic-oauth logout`, another process's clear()): an empty
      // store under the lock is final. Refreshing from the copy in memory would bring the login back.
      ctx.loggedOutElsewhere()
      throw new OAuthFlowError(OAUTH_NOT_LOGGED_IN, `The login in ${store.name} was removed (logged out elsewhere); nothing was refreshed. Log in again (\`anthropic-oauth login\`).`)
    }
    if (stored) ctx.inStore = true
    if (stored && stored.accessToken !== replacing && !isExpired(stored, ctx.now(), ctx.bufferSeconds)) {
      ctx.tokens = stored
      return stored
    }
    if (stored && (!base || (stored.expiresAt ?? 0) >= (base.expiresAt ?? 0))) base = stored
  }
  if (!base?.refreshToken) {
    // A long-lived login (`setup-token`) has no refresh token: it is never refreshed, and says so when it ends.
    const expiresAt = base?.expiresAt
    const what =
      expiresAt === undefined ? 'The access token was refused' : expiresAt > ctx.now() ? 'The server refused the access token' : `The access token expired on ${new Date(expiresAt).toISOString().slice(0, 10)}`
    throw new OAuthFlowError(
      OAUTH_NOT_LOGGED_IN,
      `${what}, and there is no refresh token to renew it (a long-lived login cannot be renewed). Log in again (\`anthropic-oauth login\`, or \`login --long-lived\` for another long-lived token).`,
    )
  }
  // A cooldown another process recorded after a 429: nothing is sent before it ends.
  const now = ctx.now()
  if (base.refreshNotBefore !== undefined && base.refreshNotBefore > now) {
    ctx.tokens = base
    throw coolingDown(base.refreshNotBefore - now)
  }
  // A holder whose lock lapsed while it was paused sends nothing: another may be refreshing.
  await lease?.confirm()
  let fresh: OAuthTokens
  try {
    ctx.sending()
    // Not cut off when the lock is lost mid-request (a database restarted under its holder): the
    // server may have spent the refresh token already, and its answer is then the only copy of
    // the new one. The save that follows is fenced by the store, or refused and kept in memory.
    fresh = await refreshAccessToken(base.refreshToken, ctx.config, {
      ...ctx.request,
      retry: ctx.request.retry === false ? false : { ...ctx.request.retry, rateLimited: false },
    })
  } catch (err) {
    if (ctx.superseded()) return SUPERSEDED
    if (err instanceof OAuthHttpError && err.code === OAUTH_RATE_LIMITED) {
      // Shared through the store, so no process sharing it (nor the next CLI call) sends
      // another refresh before the server's Retry-After; the valid token is served meanwhile.
      const cooled = { ...base, refreshNotBefore: ctx.now() + (err.retryAfterMs ?? DEFAULT_COOLDOWN_MS) }
      ctx.tokens = cooled
      if (store) await store.save(cooled).catch(() => undefined)
      throw err
    }
    const spent = looksSpent(err)
    if (store && ((err instanceof OAuthError && err.code === OAUTH_INVALID_GRANT) || spent)) {
      // Another holder may have rotated the token between our read and our request.
      const again = await store.load().catch(() => null)
      if (again?.refreshToken && again.refreshToken !== base.refreshToken) {
        ctx.tokens = again
        return again
      }
    }
    // No other holder renewed it: a non-standard refusal of this refresh token means what
    // `invalid_grant` means. The store is left as it was either way.
    if (spent) throw spentAsInvalidGrant(spent)
    throw err
  }
  const merged: OAuthTokens = { ...fresh }
  if (!merged.organization && base.organization) merged.organization = base.organization
  if (!merged.account && base.account) merged.account = base.account
  // Dropped, never saved over a logout or a login that came while it was in flight.
  if (ctx.superseded()) return SUPERSEDED
  if (store) {
    try {
      await store.save(merged)
      ctx.inStore = true
    } catch (err) {
      // Keep the new tokens for this process: the old refresh token may already be dead.
      ctx.tokens = merged
      if (err instanceof TokenStorageError && err.code === TOKEN_STORE_READ_ONLY) {
        // A read-only mount refreshes in memory, as the environment store does, and says so once.
        ctx.readOnly(err)
        return merged
      }
      if (err instanceof TokenStorageError && err.code === TOKEN_STORE_LOCK_LOST) throw err
      throw new TokenStorageError(
        TOKEN_STORE_WRITE_FAILED,
        `Tokens were refreshed but could not be saved to ${store.name}; this process keeps using them, other processes will have to log in again. Fix the store.`,
        { cause: err },
      )
    }
  }
  ctx.tokens = merged
  return merged
}
