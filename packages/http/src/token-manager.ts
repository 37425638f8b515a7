import {
  EXPIRY_BUFFER_SECONDS,
  isExpired,
  OAUTH_INVALID_GRANT,
  OAUTH_NOT_LOGGED_IN,
  OAuthError,
  resolveConfig,
  TOKEN_STORE_WRITE_FAILED,
  TokenStorageError,
  type OAuthConfig,
  type OAuthTokens,
  type ResolvedOAuthConfig,
  type TokenStore,
} from '@oauth/core'
import { refreshAccessToken, type TokenRequestOptions } from './token-endpoint.js'

/** The Anthropic SDK's credentials hook: `new Anthropic({ credentials })`. `expiresAt` is epoch seconds. */
export type AccessTokenProvider = (opts?: { forceRefresh?: boolean }) => Promise<{ token: string; expiresAt: number | null }>

/** Options for {@link TokenManager}. */
export interface TokenManagerOptions {
  /** Tokens to start with; without them the manager loads from `store` on first use. */
  tokens?: OAuthTokens | null
  /** Where tokens are loaded from and refreshed tokens saved to. Refresh runs under its `lock`, if it has one. */
  store?: TokenStore
  /** The server; default the Anthropic preset. */
  config?: OAuthConfig
  /** fetch, timeout and retry policy for refresh requests. */
  requestOptions?: TokenRequestOptions
  /** A token counts as expiring this long before `expiresAt`. Default 300 s. */
  expiryBufferSeconds?: number
  /** An expiring token still valid for longer than this is served while one refresh runs in the background; below it callers wait. Default 30 s. */
  minValiditySeconds?: number
  /** Told about background refreshes that failed (the current token was served meanwhile). */
  onBackgroundRefreshError?: (error: unknown) => void
  /** The clock. Default `Date.now`. */
  now?: () => number
}

const BACKGROUND_BACKOFF_MS = 5_000

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
 * const manager = new TokenManager({ store: new MemoryTokenStore(savedTokens) })
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
  #inflight: Promise<OAuthTokens> | undefined
  #loading: Promise<OAuthTokens | null> | undefined
  #lastBackgroundFailure = -Infinity
  #refreshCount = 0
  /** Bumped by every logout and new login: a refresh started before one of them is dropped. */
  #generation = 0
  #change: Promise<void> | undefined

  constructor(options: TokenManagerOptions = {}) {
    this.#tokens = options.tokens ? copy(options.tokens) : null
    this.#store = options.store
    this.#config = resolveConfig(options.config)
    this.#bufferSeconds = options.expiryBufferSeconds ?? EXPIRY_BUFFER_SECONDS
    this.#minValidityMs = (options.minValiditySeconds ?? 30) * 1000
    this.#now = options.now ?? Date.now
    // One clock for computing expiresAt and for comparing against it.
    this.#request = { now: this.#now, ...options.requestOptions }
    this.#onBackgroundError = options.onBackgroundRefreshError
  }

  /** The resolved server config. */
  get config(): ResolvedOAuthConfig {
    return this.#config
  }

  /** The store, if any. */
  get store(): TokenStore | undefined {
    return this.#store
  }

  /** A copy of the tokens held in memory now (no loading, no refresh); `null` before the first load. */
  get tokens(): OAuthTokens | null {
    return this.#tokens && copy(this.#tokens)
  }

  /** How many refresh requests this manager has sent. */
  get refreshCount(): number {
    return this.#refreshCount
  }

  /** A valid access token, refreshed first when needed. */
  async getAccessToken(): Promise<string> {
    return (await this.getTokens()).accessToken
  }

  /** The current tokens, loaded from the store on first use and refreshed when expiring (DESIGN §5.1). */
  async getTokens(): Promise<OAuthTokens> {
    const tokens = await this.#current()
    const now = this.#now()
    if (!isExpired(tokens, now, this.#bufferSeconds)) return copy(tokens)
    // Without a refresh token (a long-lived login) a token is used until it ends, never refreshed.
    if (!tokens.refreshToken && tokens.expiresAt! > now) return copy(tokens)
    if (tokens.expiresAt! - now > this.#minValidityMs) {
      this.#refreshInBackground(tokens.accessToken)
      return copy(tokens)
    }
    return copy(await this.#refresh(tokens.accessToken))
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

  /** A logout or login, under the store's lock; a refresh it supersedes waits for it to finish. */
  #changeUnderLock(work: () => Promise<void>): Promise<void> {
    const change = this.#underLock(work)
    this.#change = change.catch(() => undefined)
    return change
  }

  #underLock<T>(work: () => Promise<T>): Promise<T> {
    return this.#store?.lock ? this.#store.lock(work) : work()
  }

  /**
   * A new credentials provider for one Anthropic SDK client:
   * `new Anthropic({ credentials: manager.provider })`. Each access makes a new one, which
   * remembers the token it handed out, so the SDK's `forceRefresh` after a 401 replaces
   * exactly that token, once, however many requests failed with it.
   */
  get provider(): AccessTokenProvider {
    let served: string | undefined
    return async (opts) => {
      const tokens = opts?.forceRefresh ? await this.refresh({ failedAccessToken: served }) : await this.getTokens()
      served = tokens.accessToken
      return { token: tokens.accessToken, expiresAt: tokens.expiresAt === undefined ? null : Math.floor(tokens.expiresAt / 1000) }
    }
  }

  toJSON(): Record<string, unknown> {
    return {
      store: this.#store?.name ?? null,
      loggedIn: this.#tokens !== null,
      expiresAt: this.#tokens?.expiresAt === undefined ? null : new Date(this.#tokens.expiresAt).toISOString(),
    }
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `TokenManager ${JSON.stringify(this.toJSON())}`
  }

  #notLoggedIn(): OAuthError {
    return new OAuthError(
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
    const work = async (): Promise<OAuthTokens | typeof SUPERSEDED> => {
      if (generation !== this.#generation) return SUPERSEDED
      let base = this.#tokens
      if (store) {
        // Two processes refreshing one rotating token: re-read under the lock, and use what
        // the other one stored instead of spending the refresh token it already spent.
        const stored = await store.load()
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
        throw new OAuthError(
          OAUTH_NOT_LOGGED_IN,
          `${what}, and there is no refresh token to renew it (a long-lived login cannot be renewed). Log in again (\`anthropic-oauth login\`, or \`login --long-lived\` for another long-lived token).`,
        )
      }
      let fresh: OAuthTokens
      try {
        this.#refreshCount++
        fresh = await refreshAccessToken(base.refreshToken, this.#config, this.#request)
      } catch (err) {
        if (generation !== this.#generation) return SUPERSEDED
        if (store && err instanceof OAuthError && err.code === OAUTH_INVALID_GRANT) {
          // Another holder may have rotated the token between our read and our request.
          const again = await store.load().catch(() => null)
          if (again?.refreshToken && again.refreshToken !== base.refreshToken) {
            this.#tokens = again
            return again
          }
        }
        throw err // the store is left as it was
      }
      const merged: OAuthTokens = { ...fresh }
      if (!merged.organization && base.organization) merged.organization = base.organization
      if (!merged.account && base.account) merged.account = base.account
      // Dropped, never saved over a logout or a login that came while it was in flight.
      if (generation !== this.#generation) return SUPERSEDED
      if (store) {
        try {
          await store.save(merged)
        } catch (err) {
          // Keep the new tokens for this process: the old refresh token may already be dead.
          this.#tokens = merged
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
