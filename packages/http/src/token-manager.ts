import {
  assertOptions,
  INSPECT,
  inspectSummary,
  EXPIRY_BUFFER_SECONDS,
  isExpired,
  OAUTH_RATE_LIMITED,
  OAuthError,
  resolveConfig,
  type OAuthConfig,
  type OAuthTokens,
  type ResolvedOAuthConfig,
  type TokenStore,
} from '@oauth/core'
import { decide, type TimingPolicy } from './decide.js'
import { copy, Login } from './login.js'
import { refreshUnderLock, SUPERSEDED, type RefreshContext } from './refresh-protocol.js'
import { coolingDown } from './refusals.js'
import { revokeLogin } from './revocation.js'
import { sdkProvider, type AccessTokenProvider } from './sdk-provider.js'
import type { TokenRequestOptions } from './transport.js'

export type { AccessTokenProvider } from './sdk-provider.js'

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
  readonly #login: Login
  readonly #config: ResolvedOAuthConfig
  readonly #request: TokenRequestOptions
  readonly #bufferSeconds: number
  readonly #timing: TimingPolicy
  readonly #now: () => number
  readonly #onBackgroundError: ((error: unknown) => void) | undefined
  readonly #warn: (message: string) => void
  #warnedReadOnly = false
  #inflight: Promise<OAuthTokens> | undefined
  #lastBackgroundFailure = -Infinity
  #refreshCount = 0
  constructor(options: TokenManagerOptions) {
    // `{ store, tokens, config }` once made a manager with no store, no tokens and the Anthropic preset.
    assertOptions(options, 'TokenManager', ['oauthTokens', 'tokenStorage', 'oauthConfig', 'oauthRequestOptions', 'expiryBufferSeconds', 'minValiditySeconds', 'onBackgroundRefreshError', 'onWarning', 'now'])
    this.#login = new Login(options.tokenStorage, options.oauthTokens ? copy(options.oauthTokens) : null)
    this.#config = resolveConfig(options.oauthConfig)
    this.#bufferSeconds = options.expiryBufferSeconds ?? EXPIRY_BUFFER_SECONDS
    this.#timing = { bufferSeconds: this.#bufferSeconds, minValidityMs: (options.minValiditySeconds ?? 30) * 1000 }
    this.#now = options.now ?? Date.now
    // One clock for computing expiresAt and for comparing against it.
    this.#request = { now: this.#now, ...options.oauthRequestOptions }
    this.#onBackgroundError = options.onBackgroundRefreshError
    this.#warn = options.onWarning ?? ((message) => console.warn(message))
  }

  /** The resolved server config. */
  get oauthConfig(): ResolvedOAuthConfig {
    return this.#config
  }

  /** The store, if any. */
  get tokenStorage(): TokenStore | undefined {
    return this.#login.store
  }

  /** A copy of the tokens held in memory now (no loading, no refresh); `null` before the first load. */
  get oauthTokens(): OAuthTokens | null {
    const tokens = this.#login.tokens
    return tokens && copy(tokens)
  }

  /**
   * Waits until no refresh is in flight (a background one included) and its result is saved,
   * and until this manager no longer waits for the store's lock (a refresh served by another
   * holder's saved tokens still lets go of the lock it was waiting for). Call it before a process
   * exits, or before ending the store's connection or removing its folder: a refresh cut off after
   * the server rotated the token, but before the store had it, would leave every process sharing
   * the store logged out.
   *
   * @example
   * ```ts
   * // Shutting down: the refresh in flight saves its tokens first; then close the store's
   * // connection (a Postgres pool, a Redis client) or exit.
   * await manager.settle()
   * ```
   */
  async settle(): Promise<void> {
    while (this.#inflight || this.#lockWaits.size > 0) await Promise.all([this.#inflight?.catch(() => undefined), ...this.#lockWaits])
  }

  /** Waits for the lock left behind by refreshes that another holder's saved tokens served. */
  readonly #lockWaits = new Set<Promise<unknown>>()

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
    const tokens = await this.#login.current()
    const now = this.#now()
    switch (decide(tokens, now, this.#timing)) {
      case 'fresh':
        return copy(tokens)
      case 'cooldown':
        throw coolingDown(tokens.refreshNotBefore! - now)
      case 'background':
        this.#refreshInBackground(tokens.accessToken)
        return copy(tokens)
      case 'wait':
    }
    try {
      return copy(await this.#refresh(tokens.accessToken))
    } catch (err) {
      // Rate limited while the token still works (another process recorded the cooldown): keep serving it.
      const current = this.#login.tokens
      if (err instanceof OAuthError && err.code === OAUTH_RATE_LIMITED && current && current.expiresAt! > this.#now()) return copy(current)
      throw err
    }
  }

  /**
   * Refreshes now. Pass the access token the server refused (after a 401): if it has already
   * been replaced, in this process or in the store, the newer tokens are returned without
   * another refresh.
   */
  async refresh(options: { failedAccessToken?: string } = {}): Promise<OAuthTokens> {
    const current = await this.#login.current()
    const failed = options.failedAccessToken ?? current.accessToken
    if (current.accessToken !== failed && !isExpired(current, this.#now(), this.#bufferSeconds)) return copy(current)
    return copy(await this.#refresh(failed))
  }

  /**
   * Stores a new login (after a code exchange): saved to the store first, under its lock, then
   * used. It beats any refresh in flight: that refresh's result is dropped, never saved over it.
   */
  async setTokens(tokens: OAuthTokens): Promise<void> {
    await this.#login.set(tokens)
  }

  /**
   * Logs out: forgets the login at once in memory, then clears the store under its lock. It
   * beats any refresh in flight: that refresh's result is dropped, never saved over the logout.
   */
  async clear(): Promise<void> {
    await this.#login.clear()
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
    const tokens = await this.#login.current().catch(() => null)
    const removed = tokens !== null || (await this.#login.store?.exists().catch(() => false)) === true
    await this.clear()
    if (!tokens) return { removed, revoked: false }
    return { removed, ...(await revokeLogin(tokens, this.#config, this.#request)) }
  }

  /**
   * Stops listening to the store for other holders' changes (stores with `subscribe`: the file
   * store's folder watch, Postgres's LISTEN). The manager keeps working, reading the store when it
   * needs to; call it when dropping a manager over a store that lives on ({@link LoginPool} does).
   */
  close(): void {
    this.#login.close()
  }

  /**
   * A new credentials provider for one Anthropic SDK client:
   * `new Anthropic({ credentials: manager.provider })`. The SDK's forced refresh after a 401
   * replaces exactly the token it was handed, once; its cache asks again exactly when this
   * manager counts the token as expiring (see `sdkProvider`).
   */
  get provider(): AccessTokenProvider {
    return sdkProvider(this, this.#bufferSeconds)
  }

  toJSON(): Record<string, unknown> {
    return {
      store: this.#login.store?.name ?? null,
      loggedIn: this.#login.tokens !== null,
      expiresAt: this.#login.tokens?.expiresAt === undefined ? null : new Date(this.#login.tokens.expiresAt).toISOString(),
    }
  }

  readonly [INSPECT] = inspectSummary

  #refreshInBackground(replacing: string): void {
    if (this.#inflight || this.#now() - this.#lastBackgroundFailure < BACKGROUND_BACKOFF_MS) return
    this.#refresh(replacing).catch((err) => {
      this.#lastBackgroundFailure = this.#now()
      this.#onBackgroundError?.(err)
    })
  }

  /** Single flight: every caller during a refresh awaits the same one. */
  #refresh(replacing: string): Promise<OAuthTokens> {
    return (this.#inflight ??= this.#runRefresh(replacing).finally(() => (this.#inflight = undefined)))
  }

  async #runRefresh(replacing: string): Promise<OAuthTokens> {
    // The generation now, before waiting for the lock: a logout or login while it waits supersedes this refresh.
    const context = this.#context(this.#login.generation)
    let taken = false
    // Once another holder's saved tokens are taken, the lock, when it comes, is let go at once.
    const viaLock = this.#login.underLock((lease) => (taken ? Promise.resolve(SUPERSEDED) : refreshUnderLock(context, replacing, lease)))
    // Another process's refresh, saved while this one waits for the lock: used as soon as the store tells.
    const saved = await this.#login.newer(replacing, (t) => !isExpired(t, this.#now(), this.#bufferSeconds), viaLock)
    if (saved) {
      taken = true
      const waiting: Promise<unknown> = viaLock.then(
        () => this.#lockWaits.delete(waiting),
        () => this.#lockWaits.delete(waiting),
      )
      this.#lockWaits.add(waiting)
      return saved
    }
    const result = await viaLock
    return result !== SUPERSEDED ? result : this.#login.afterChange()
  }

  /** This manager as the refresh protocol sees it, for a refresh asked for at `generation`. */
  #context(generation: number): RefreshContext {
    const login = this.#login
    return {
      store: login.store,
      config: this.#config,
      request: this.#request,
      bufferSeconds: this.#bufferSeconds,
      now: this.#now,
      // A logout or a new login came after this refresh was asked for: it wins, and this
      // refresh sends nothing more and saves nothing. Its callers get what that change left.
      superseded: () => generation !== login.generation,
      get tokens() {
        return login.tokens
      },
      set tokens(tokens) {
        login.tokens = tokens
      },
      get inStore() {
        return login.inStore
      },
      set inStore(inStore) {
        login.inStore = inStore
      },
      loggedOutElsewhere: () => login.forget(),
      sending: () => {
        this.#refreshCount++
      },
      readOnly: (err) => {
        if (!this.#warnedReadOnly) this.#warn(`${login.store!.name} is read-only: refreshed tokens are kept in this process's memory only. ${err.message}`)
        this.#warnedReadOnly = true
      },
    }
  }
}
