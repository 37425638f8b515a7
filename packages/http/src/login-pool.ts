import { assertOptions, ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, INSPECT, inspectSummary, invalidArgument, type OAuthConfig, type OAuthTokens, type TokenStore } from '@oauth/core'
import { TokenManager, type TokenManagerOptions } from './token-manager.js'

/** Options for {@link LoginPool}. */
export interface LoginPoolOptions {
  /** The server every login belongs to. */
  oauthConfig: OAuthConfig
  /** The store of one login, by its key: `(key) => new PostgresTokenStore({ pool, key })`. Called when a login's manager is made. */
  store: (key: string) => TokenStore
  /** A manager unused this long is dropped (its tokens stay in the store). Default 60 s. */
  idleMs?: number
  /** At most this many managers are kept; past it the least recently used goes. Default 10,000. */
  maxManagers?: number
  /** The rest of each manager's options (timing, request options, clock). */
  managerOptions?: Omit<TokenManagerOptions, 'tokenStorage' | 'oauthConfig' | 'oauthTokens'>
}

interface Entry {
  manager: TokenManager
  usedAt: number
}

/**
 * One token lifecycle per login, for a service acting for many users: a login's token by its
 * key, its manager made on first use and dropped when idle. Each manager keeps the rules of
 * {@link TokenManager} (one refresh however many callers, under the store's lock across
 * processes), and a dropped one leaves nothing behind but the row in the store.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { LoginPool } from '@oauth/http'
 * import { PostgresTokenStore } from '@oauth/storage-postgres'
 * const pool = new pg.Pool({ connectionString: 'postgres://app@db.internal/app' })
 * const logins = new LoginPool({ oauthConfig: config, store: (key) => new PostgresTokenStore({ pool, key }) })
 * const token = await logins.getAccessToken('user:42')
 * ```
 */
export class LoginPool {
  readonly #entries = new Map<string, Entry>()
  readonly #options: LoginPoolOptions
  readonly #idleMs: number
  readonly #max: number
  #sweep: ReturnType<typeof setInterval> | undefined
  #closed = false

  constructor(options: LoginPoolOptions) {
    assertOptions(options, 'LoginPool', ['oauthConfig', 'store', 'idleMs', 'maxManagers', 'managerOptions'])
    if (typeof options?.store !== 'function') throw invalidArgument(ERR_INVALID_ARG_TYPE, 'LoginPool needs `store`: a function from a login key to its TokenStore.')
    for (const name of ['idleMs', 'maxManagers'] as const) {
      const value = options[name]
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw invalidArgument(ERR_INVALID_ARG_VALUE, `LoginPool \`${name}\` must be a positive number.`)
    }
    this.#options = options
    this.#idleMs = options.idleMs ?? 60_000
    this.#max = options.maxManagers ?? 10_000
  }

  /** How many managers are held now. */
  get size(): number {
    return this.#entries.size
  }

  /** The manager of `key`, made on first use (it reads its store then, not now). */
  manager(key: string): TokenManager {
    if (this.#closed) throw invalidArgument(ERR_INVALID_ARG_VALUE, 'This LoginPool was closed.')
    if (typeof key !== 'string' || !key) throw invalidArgument(ERR_INVALID_ARG_VALUE, 'A login key must be a non-empty string.')
    let entry = this.#entries.get(key)
    // Most recently used last: the map's order is the eviction order.
    if (entry) this.#entries.delete(key)
    else entry = { manager: new TokenManager({ ...this.#options.managerOptions, oauthConfig: this.#options.oauthConfig, tokenStorage: this.#options.store(key) }), usedAt: 0 }
    entry.usedAt = Date.now()
    this.#entries.set(key, entry)
    if (this.#entries.size > this.#max) this.#drop(this.#entries.keys().next().value!)
    this.#startSweeping()
    return entry.manager
  }

  /** A valid access token of the login `key`, refreshed first when needed. */
  getAccessToken(key: string): Promise<string> {
    return this.manager(key).getAccessToken()
  }

  /** The current tokens of the login `key`, refreshed first when needed. */
  getTokens(key: string): Promise<OAuthTokens> {
    return this.manager(key).getTokens()
  }

  /** Drops every manager, after letting refreshes in flight save their tokens. */
  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#sweep)
    const managers = [...this.#entries.values()].map((e) => e.manager)
    this.#entries.clear()
    await Promise.all(managers.map((m) => m.settle()))
    for (const m of managers) m.close()
  }

  #drop(key: string): void {
    const entry = this.#entries.get(key)
    if (!entry) return
    this.#entries.delete(key)
    // A refresh in flight finishes and saves; the manager then only stops listening.
    void entry.manager.settle().then(() => entry.manager.close())
  }

  #startSweeping(): void {
    if (this.#sweep) return
    this.#sweep = setInterval(() => {
      const before = Date.now() - this.#idleMs
      // Least recently used first: stop at the first one still in use.
      for (const [key, entry] of this.#entries) {
        if (entry.usedAt > before) break
        this.#drop(key)
      }
      if (this.#entries.size === 0) {
        clearInterval(this.#sweep)
        this.#sweep = undefined
      }
    }, Math.max(10, this.#idleMs / 4))
    ;(this.#sweep as { unref?: () => void }).unref?.()
  }

  toJSON(): Record<string, unknown> {
    return { logins: this.#entries.size }
  }

  readonly [INSPECT] = inspectSummary
}
