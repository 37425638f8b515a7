import {
  assertOptions,
  INSPECT,
  inspectSummary,
  EXPIRY_BUFFER_SECONDS,
  expiryBufferMs,
  isExpired,
  OAUTH_INVALID_GRANT,
  OAUTH_NOT_LOGGED_IN,
  OAUTH_RATE_LIMITED,
  OAUTH_TOKEN_ENDPOINT_ERROR,
  OAUTH_UNSUPPORTED,
  OAuthError,
  OAuthFlowError,
  resolveConfig,
  TOKEN_STORE_LOCK_LOST,
  TOKEN_STORE_READ_ONLY,
  TOKEN_STORE_WRITE_FAILED,
  TokenStorageError,
  type LockLease,
  type OAuthConfig,
  type OAuthTokens,
  type ResolvedOAuthConfig,
  type TokenStore,
} from '@oauth/core'
import { OAuthHttpError } from './errors.js'
import { revokeToken } from './revocation.js'
import { refreshAccessToken } from './refresh.js'
import type { TokenRequestOptions } from './transport.js'

/** The Anthropic SDK's credentials hook: `new Anthropic({ credentials })`. `expiresAt` is epoch seconds. */
export type AccessTokenProvider = (opts?: { forceRefresh?: boolean }) => Promise<{ token: string; expiresAt: number | null }>

/** Options for {@link TokenManager}. */
export interface TokenManagerOptions {
  /** Tokens to start with; without them the manager loads from `tokenStorage` on first use. */
  oauthTokens?: OAuthTokens | null
  /** Where tokens are loaded from and refreshed tokens saved to (any `TokenStore`). Refresh runs under its `lock`, if it has one. */
  tokenStorage?: TokenStore
  /** The server (Anthropic's: `ANTHROPIC_OAUTH_CONFIG` from `@oauth/anthropic`). */
  oauthConfig: OAuthConfig
  /** fetch, timeout and retry policy for refresh requests. */
  oauthRequestOptions?: TokenRequestOptions
  /**
   * A token counts as expiring this long before `expiresAt`. Default 300 s; for tokens that
   * live less than four times this, a quarter of their lifetime (`expiryBufferMs` in
   * `@oauth/core`). The Anthropic SDK's own cache follows the same rule: see {@link TokenManager.provider}.
   */
  expiryBufferSeconds?: number
  /**
   * An expiring token still valid for longer than this is served while one refresh runs in the
   * background; below it callers wait. Default 30 s, or a tenth of a shorter token's lifetime.
   */
  minValiditySeconds?: number
  /** Told about background refreshes that failed (the current token was served meanwhile). */
  onBackgroundRefreshError?: (error: unknown) => void
  /** Told, once, when refreshed tokens cannot be saved because the store is read-only. Default `console.warn`. */
  onWarning?: (message: string) => void
  /** The clock. Default `Date.now`. */
  now?: () => number
}

const BACKGROUND_BACKOFF_MS = 5_000
/** A 429 without `Retry-After`: no refresh is sent for this long. */
const DEFAULT_COOLDOWN_MS = 60_000
/**
 * The Anthropic SDK's `TokenCache` asks its credentials provider again only once this little
 * validity is left (`ADVISORY_REFRESH_THRESHOLD_IN_SECONDS`, 120 s, in `@anthropic-ai/sdk`
 * 1.12 `lib/credentials/types`); before that it serves its cached token without asking.
 */
const SDK_ADVISORY_MS = 120_000

/** Objects handed in or out are copies: a caller mutating one cannot change the login. */
function copy(tokens: OAuthTokens): OAuthTokens {
  const c = { ...tokens }
  if (tokens.account) c.account = { ...tokens.account }
  if (tokens.organization) c.organization = { ...tokens.organization }
  return c
}

/**
 * Holds one login's tokens and keeps them fresh, following the rules users were burnt by elsewhere:
 *
 * - any number of concurrent callers cause one refresh (single flight);
 * - across processes sharing a store, refresh runs under the store's lock, after re-reading the
 *   store, so a token another process already refreshed is used instead of spending the
 *   (rotated, now dead) refresh token again;
 * - refreshed tokens are saved before they are used, and a failed refresh never overwrites the store;
 * - `invalid_grant` is reported as "log in again" only after the store was re-read;
 * - tokens never show in `JSON.stringify`, `util.inspect` or error messages.
 *
 * @example
 * ```ts
 * import { TokenManager } from '@oauth/http'
 * import { MemoryTokenStore } from '@oauth/storage-memory'
 * const manager = new TokenManager({ oauthConfig: config, tokenStorage: new MemoryTokenStore({ tokens: savedTokens }) })
 * const accessToken = await manager.getAccessToken() // refreshed first when expiring
 * ```
 */
export class TokenManager {
  #tokens: OAuthTokens | null
  readonly #store: TokenStore | undefined
  readonly #config: ResolvedOAuthConfig
  readonly #request: TokenRequestOptions
  readonly #bufferSeconds: number
  readonly #minValidityMs: number
  readonly #now: () => number
  readonly #onBackgroundError: ((error: unknown) => void) | undefined
  readonly #warn: (message: string) => void
  #warnedReadOnly = false
  #inflight: Promise<OAuthTokens> | undefined
  #loading: Promise<OAuthTokens | null> | undefined
  #lastBackgroundFailure = -Infinity
  #refreshCount = 0
  /**
   * True once the login was read from the store or saved to it by this manager. From then on an
   * empty store means someone logged out, never "not saved yet": nothing is refreshed or saved
   * over it. Tokens given in memory for a store that never held them are saved at their first refresh.
   */
  #inStore = false
  /** Bumped by every logout and new login: a refresh started before one of them is dropped. */
  #generation = 0
  #change: Promise<void> | undefined

  constructor(options: TokenManagerOptions) {
    // `{ store, tokens, config }` once made a manager with no store, no tokens and the Anthropic preset.
    assertOptions(options, 'TokenManager', ['oauthTokens', 'tokenStorage', 'oauthConfig', 'oauthRequestOptions', 'expiryBufferSeconds', 'minValiditySeconds', 'onBackgroundRefreshError', 'onWarning', 'now'])
    this.#tokens = options.oauthTokens ? copy(options.oauthTokens) : null
    this.#store = options.tokenStorage
    this.#config = resolveConfig(options.oauthConfig)
    this.#bufferSeconds = options.expiryBufferSeconds ?? EXPIRY_BUFFER_SECONDS
    this.#minValidityMs = (options.minValiditySeconds ?? 30) * 1000
    this.#now = options.now ?? Date.now
    // One clock for computing expiresAt and for comparing against it.
    this.#request = { now: this.#now, ...options.oauthRequestOptions }
    this.#onBackgroundError = options.onBackgroundRefreshError
    this.#warn = options.onWarning ?? ((message) => console.warn(message))
    // Another tab saved or cleared the login: forget the copy in memory, so a rotated token is
    // not used again and a logout anywhere signs this holder out too (a refresh in flight is dropped).
    this.#store?.subscribe?.((change) => {
      if (change === 'cleared') this.#generation++
      this.#tokens = null
      this.#loading = undefined
    })
  }

  /** The resolved server config. */
  get oauthConfig(): ResolvedOAuthConfig {
    return this.#config
  }

  /** The store, if any. */
  get tokenStorage(): TokenStore | undefined {
    return this.#store
  }

  /** A copy of the tokens held in memory now (no loading, no refresh); `null` before the first load. */
  get oauthTokens(): OAuthTokens | null {
    return this.#tokens && copy(this.#tokens)
  }

  /**
   * Waits until no refresh is in flight (a background one included) and its result is saved.
   * Call it before a process exits: a refresh cut off after the server rotated the token, but
   * before the store had it, would leave every process sharing the store logged out.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', async () => {
   *   await manager.settle()
   *   process.exit(0)
   * })
   * ```
   */
  async settle(): Promise<void> {
    while (this.#inflight) await this.#inflight.catch(() => undefined)
  }

  /** How many refresh requests this manager has sent. */
  get refreshCount(): number {
    return this.#refreshCount
  }

  /** A valid access token, refreshed first when needed. */
  async getAccessToken(): Promise<string> {
    return (await this.getTokens()).accessToken
  }

  /** The current tokens, loaded from the store on first use and refreshed when expiring ({@link isExpired}). */
  async getTokens(): Promise<OAuthTokens> {
    const tokens = await this.#current()
    const now = this.#now()
    if (!isExpired(tokens, now, this.#bufferSeconds)) return copy(tokens)
    const valid = tokens.expiresAt! > now
    // Without a refresh token (a long-lived login) a token is used until it ends, never refreshed.
    if (!tokens.refreshToken && valid) return copy(tokens)
    // The token endpoint asked for a pause (429): nothing is sent before it ends; a valid token is served.
    if (tokens.refreshNotBefore !== undefined && tokens.refreshNotBefore > now) {
      if (valid) return copy(tokens)
      throw coolingDown(tokens.refreshNotBefore - now)
    }
    if (tokens.expiresAt! - now > this.#mustRefreshMs(tokens)) {
      this.#refreshInBackground(tokens.accessToken)
      return copy(tokens)
    }
    try {
      return copy(await this.#refresh(tokens.accessToken))
    } catch (err) {
      // Rate limited while the token still works (another process recorded the cooldown): keep serving it.
      const current = this.#tokens
      if (err instanceof OAuthError && err.code === OAUTH_RATE_LIMITED && current && current.expiresAt! > this.#now()) return copy(current)
      throw err
    }
  }

  /** Below this much validity callers wait for a refresh: `minValiditySeconds`, or a tenth of a shorter lifetime. */
  #mustRefreshMs(tokens: OAuthTokens): number {
    const lifetime = tokens.issuedAt === undefined ? Infinity : tokens.expiresAt! - tokens.issuedAt
    return Math.min(this.#minValidityMs, lifetime / 10)
  }

  /**
   * Refreshes now. Pass the access token the server refused (after a 401): if it has already
   * been replaced, in this process or in the store, the newer tokens are returned without
   * another refresh.
   */
  async refresh(options: { failedAccessToken?: string } = {}): Promise<OAuthTokens> {
    const current = await this.#current()
    const failed = options.failedAccessToken ?? current.accessToken
    if (current.accessToken !== failed && !isExpired(current, this.#now(), this.#bufferSeconds)) return copy(current)
    return copy(await this.#refresh(failed))
  }

  /**
   * Stores a new login (after a code exchange): saved to the store first, under its lock, then
   * used. It beats any refresh in flight: that refresh's result is dropped, never saved over it.
   */
  async setTokens(tokens: OAuthTokens): Promise<void> {
    const login = copy(tokens)
    this.#generation++
    await this.#changeUnderLock(async () => {
      this.#generation++
      if (this.#store) await this.#store.save(login)
      this.#inStore = this.#store !== undefined
      this.#tokens = login
    })
  }

  /**
   * Logs out: forgets the login at once in memory, then clears the store under its lock. It
   * beats any refresh in flight: that refresh's result is dropped, never saved over the logout.
   */
  async clear(): Promise<void> {
    this.#generation++
    this.#tokens = null
    this.#loading = undefined
    await this.#changeUnderLock(async () => {
      this.#generation++
      this.#tokens = null
      if (this.#store) await this.#store.clear()
    })
  }

  /**
   * Logs out everywhere it can: removes the login here (as {@link TokenManager.clear}), then
   * revokes its refresh token (or, without one, its access token) at the server's revocation
   * endpoint (RFC 7009), so a copy left anywhere stops working. Revocation is best effort: the
   * local login is gone even when it fails, and the result says which happened, with the
   * reason. A store that cannot be cleared throws, and then nothing is revoked.
   *
   * @example
   * ```ts
   * const { revoked, revocationError } = await manager.logout()
   * if (!revoked) console.warn(`Logged out here only: ${revocationError?.message}`)
   * ```
   */
  async logout(): Promise<{ removed: boolean; revoked: boolean; revocationError?: OAuthError }> {
    const tokens = await this.#current().catch(() => null)
    const removed = tokens !== null || (await this.#store?.exists().catch(() => false)) === true
    await this.clear()
    if (!tokens) return { removed, revoked: false }
    if (!this.#config.revocationUrl) {
      return { removed, revoked: false, revocationError: new OAuthFlowError(OAUTH_UNSUPPORTED, 'The server has no revocation endpoint: the tokens stay valid there until they expire.') }
    }
    try {
      const [token, hint] = tokens.refreshToken ? [tokens.refreshToken, 'refresh_token' as const] : [tokens.accessToken, 'access_token' as const]
      await revokeToken(token, this.#config, { ...this.#request, tokenTypeHint: hint })
      return { removed, revoked: true }
    } catch (err) {
      if (err instanceof OAuthError) return { removed, revoked: false, revocationError: err }
      throw err
    }
  }

  /** A logout or login, under the store's lock; a refresh it supersedes waits for it to finish. */
  #changeUnderLock(work: () => Promise<void>): Promise<void> {
    const change = this.#underLock(work)
    this.#change = change.catch(() => undefined)
    return change
  }

  #underLock<T>(work: (lease?: LockLease) => Promise<T>): Promise<T> {
    return this.#store?.lock ? this.#store.lock(work) : work()
  }

  /**
   * A new credentials provider for one Anthropic SDK client:
   * `new Anthropic({ credentials: manager.provider })`. Each access makes a new one, which
   * remembers the token it handed out, so the SDK's `forceRefresh` after a 401 replaces
   * exactly that token, once, however many requests failed with it.
   *
   * One rule decides when a token is expiring, this manager's ({@link isExpired}). The SDK's
   * cache would otherwise keep a token until 120 s before its end and only then ask; so the
   * provider reports an `expiresAt` moved earlier by the difference, and the SDK asks exactly
   * when the manager counts the token as expiring. (For a buffer under 120 s, as with
   * short-lived tokens, the SDK asks sooner and the manager answers from memory.)
   */
  get provider(): AccessTokenProvider {
    let served: string | undefined
    return async (opts) => {
      const tokens = opts?.forceRefresh ? await this.refresh({ failedAccessToken: served }) : await this.getTokens()
      served = tokens.accessToken
      if (tokens.expiresAt === undefined) return { token: tokens.accessToken, expiresAt: null }
      const earlier = Math.max(0, expiryBufferMs(tokens, this.#bufferSeconds) - SDK_ADVISORY_MS)
      return { token: tokens.accessToken, expiresAt: Math.floor((tokens.expiresAt - earlier) / 1000) }
    }
  }

  toJSON(): Record<string, unknown> {
    return {
      store: this.#store?.name ?? null,
      loggedIn: this.#tokens !== null,
      expiresAt: this.#tokens?.expiresAt === undefined ? null : new Date(this.#tokens.expiresAt).toISOString(),
    }
  }

  readonly [INSPECT] = inspectSummary

  #notLoggedIn(): OAuthError {
    return new OAuthFlowError(
      OAUTH_NOT_LOGGED_IN,
      this.#store ? `No tokens in ${this.#store.name}. Log in first (\`anthropic-oauth login\`).` : 'No tokens were given and no store is configured. Log in first.',
    )
  }

  /** The tokens in memory, else those in the store; no tokens at all is `OAUTH_NOT_LOGGED_IN`. */
  async #current(): Promise<OAuthTokens> {
    const tokens = this.#tokens ?? (await this.#load())
    if (!tokens) throw this.#notLoggedIn()
    return tokens
  }

  /**
   * One read of the store for all callers waiting at once. A store with no login is read again
   * on the next call: a service started before `anthropic-oauth login` picks the login up.
   */
  #load(): Promise<OAuthTokens | null> {
    if (!this.#store) return Promise.resolve(null)
    const generation = this.#generation
    this.#loading ??= this.#store.load().then(
      (stored) => {
        this.#loading = undefined
        if (generation === this.#generation) this.#tokens ??= stored
        if (stored) this.#inStore = true
        return this.#tokens
      },
      (err) => {
        this.#loading = undefined
        throw err
      },
    )
    return this.#loading
  }

  #refreshInBackground(replacing: string): void {
    if (this.#inflight || this.#now() - this.#lastBackgroundFailure < BACKGROUND_BACKOFF_MS) return
    this.#refresh(replacing).catch((err) => {
      this.#lastBackgroundFailure = this.#now()
      this.#onBackgroundError?.(err)
    })
  }

  /** Single flight: every caller during a refresh awaits the same one. */
  #refresh(replacing: string): Promise<OAuthTokens> {
    this.#inflight ??= this.#runRefresh(replacing).finally(() => {
      this.#inflight = undefined
    })
    return this.#inflight
  }

  async #runRefresh(replacing: string): Promise<OAuthTokens> {
    const store = this.#store
    const generation = this.#generation
    // A logout or a new login came after this refresh was asked for: it wins, and this
    // refresh sends nothing more and saves nothing. Its callers get what that change left.
    const SUPERSEDED = null
    const work = async (lease?: LockLease): Promise<OAuthTokens | typeof SUPERSEDED> => {
      if (generation !== this.#generation) return SUPERSEDED
      let base = this.#tokens
      if (store) {
        // Two processes refreshing one rotating token: re-read under the lock, and use what
        // the other one stored instead of spending the refresh token it already spent.
        const stored = await store.load()
        if (!stored && this.#inStore) {
          // Logged out elsewhere (`anthropic-oauth logout`, another process's clear()): an empty
          // store under the lock is final. Refreshing from the copy in memory would bring the login back.
          this.#tokens = null
          this.#loading = undefined
          throw new OAuthFlowError(OAUTH_NOT_LOGGED_IN, `The login in ${store.name} was removed (logged out elsewhere); nothing was refreshed. Log in again (\`anthropic-oauth login\`).`)
        }
        if (stored) this.#inStore = true
        if (stored && stored.accessToken !== replacing && !isExpired(stored, this.#now(), this.#bufferSeconds)) {
          this.#tokens = stored
          return stored
        }
        if (stored && (!base || (stored.expiresAt ?? 0) >= (base.expiresAt ?? 0))) base = stored
      }
      if (!base?.refreshToken) {
        // A long-lived login (`setup-token`) has no refresh token: it is never refreshed, and says so when it ends.
        const expiresAt = base?.expiresAt
        const what =
          expiresAt === undefined ? 'The access token was refused' : expiresAt > this.#now() ? 'The server refused the access token' : `The access token expired on ${new Date(expiresAt).toISOString().slice(0, 10)}`
        throw new OAuthFlowError(
          OAUTH_NOT_LOGGED_IN,
          `${what}, and there is no refresh token to renew it (a long-lived login cannot be renewed). Log in again (\`anthropic-oauth login\`, or \`login --long-lived\` for another long-lived token).`,
        )
      }
      // A cooldown another process recorded after a 429: nothing is sent before it ends.
      const now = this.#now()
      if (base.refreshNotBefore !== undefined && base.refreshNotBefore > now) {
        this.#tokens = base
        throw coolingDown(base.refreshNotBefore - now)
      }
      // A holder whose lock lapsed while it was paused sends nothing: another may be refreshing.
      await lease?.confirm()
      let fresh: OAuthTokens
      try {
        this.#refreshCount++
        const signal = lease && (this.#request.signal ? AbortSignal.any([this.#request.signal, lease.signal]) : lease.signal)
        fresh = await refreshAccessToken(base.refreshToken, this.#config, {
          ...this.#request,
          signal,
          retry: this.#request.retry === false ? false : { ...this.#request.retry, rateLimited: false },
        })
      } catch (err) {
        if (lease?.signal.aborted) throw lease.signal.reason // the lock was lost mid-request
        if (generation !== this.#generation) return SUPERSEDED
        if (err instanceof OAuthHttpError && err.code === OAUTH_RATE_LIMITED) {
          // Shared through the store, so no process sharing it (nor the next CLI call) sends
          // another refresh before the server's Retry-After; the valid token is served meanwhile.
          const cooled = { ...base, refreshNotBefore: this.#now() + (err.retryAfterMs ?? DEFAULT_COOLDOWN_MS) }
          this.#tokens = cooled
          if (store) await store.save(cooled).catch(() => undefined)
          throw err
        }
        const spent = looksSpent(err)
        if (store && ((err instanceof OAuthError && err.code === OAUTH_INVALID_GRANT) || spent)) {
          // Another holder may have rotated the token between our read and our request.
          const again = await store.load().catch(() => null)
          if (again?.refreshToken && again.refreshToken !== base.refreshToken) {
            this.#tokens = again
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
      if (generation !== this.#generation) return SUPERSEDED
      if (store) {
        try {
          await store.save(merged)
          this.#inStore = true
        } catch (err) {
          // Keep the new tokens for this process: the old refresh token may already be dead.
          this.#tokens = merged
          if (err instanceof TokenStorageError && err.code === TOKEN_STORE_READ_ONLY) {
            // A read-only mount refreshes in memory, as the environment store does, and says so once.
            if (!this.#warnedReadOnly) this.#warn(`${store.name} is read-only: refreshed tokens are kept in this process's memory only. ${err.message}`)
            this.#warnedReadOnly = true
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
      this.#tokens = merged
      return merged
    }
    const result = await this.#underLock(work)
    if (result !== SUPERSEDED) return result
    await this.#change
    if (this.#tokens) return this.#tokens
    throw this.#notLoggedIn()
  }
}

/**
 * Refusals that only the refresh token can explain, from servers that do not answer
 * `invalid_grant` as RFC 6749 §5.2 says: a 400 or 403 whose error, if any, is not one of the
 * standard codes that blame the request or the client (`invalid_client`, `invalid_request`,
 * `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`). Glewlwyd 2.7 answers a
 * reused rotated refresh token with a 400 and an empty body, and a replayed code with 403
 * `invalid_code`. A 401 is client authentication (RFC 6749 §5.2), never this.
 */
const BLAMES_CLIENT = new Set(['invalid_client', 'invalid_request', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope'])

function looksSpent(err: unknown): OAuthHttpError | undefined {
  if (!(err instanceof OAuthHttpError) || err.code !== OAUTH_TOKEN_ENDPOINT_ERROR) return undefined
  if (err.status !== 400 && err.status !== 403) return undefined
  return err.error !== undefined && BLAMES_CLIENT.has(err.error) ? undefined : err
}

function spentAsInvalidGrant(err: OAuthHttpError): OAuthHttpError {
  const said = err.error ? `${err.error}${err.description ? `: ${err.description}` : ''}` : 'no OAuth error in the answer'
  return new OAuthHttpError(
    OAUTH_INVALID_GRANT,
    `The authorization server refused the refresh token (HTTP ${err.status}, ${said}), and no other process had renewed it: it was spent or revoked, so log in again. (Read as invalid_grant although the server did not say so; if the client secret or key changed, check that first.)`,
    { status: err.status, error: err.error, description: err.description, retryable: false, cause: err },
  )
}

function coolingDown(waitMs: number): OAuthHttpError {
  return new OAuthHttpError(
    OAUTH_RATE_LIMITED,
    `The token endpoint asked for a pause (HTTP 429); no refresh is sent for another ${Math.ceil(waitMs / 1000)} s. The login is fine; try again then.`,
    { status: 429, retryable: true, retryAfterMs: waitMs },
  )
}
