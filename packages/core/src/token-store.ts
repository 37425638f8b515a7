import type { OAuthTokens } from './tokens.js'

/**
 * Where a token set lives between runs. One small contract, one adapter per backend
 * (`@oauth/storage-memory`, `-env`, `-file`, `-keychain`, `-redis`, `-postgres`, `-browser`, `-durable-object`).
 *
 * Adapters report failures as `TokenStorageError` with a stable `code`; a store that
 * cannot be reached never silently falls back to another.
 *
 * @example
 * ```ts
 * import type { OAuthTokens, TokenStore } from '@oauth/core'
 * class MapStore implements TokenStore {
 *   readonly name = 'map'
 *   #tokens: OAuthTokens | null = null
 *   async load() { return this.#tokens }
 *   async save(tokens: OAuthTokens) { this.#tokens = tokens }
 *   async clear() { this.#tokens = null }
 *   async exists() { return this.#tokens !== null }
 * }
 * ```
 */
export interface TokenStore {
  /** A short label for messages and `status` output, such as `file ~/.anthropic/oauth_tokens.json`. */
  readonly name: string
  /**
   * True when `save` keeps tokens only in this process's memory and never reaches the source
   * they were loaded from (the environment store): `composeStores` saves to another store
   * first. Not the same as a store that cannot be written at all, whose `save` fails with
   * `TOKEN_STORE_READ_ONLY` (a token file on a read-only mount).
   */
  readonly savesInMemoryOnly?: boolean
  /** The stored tokens, or `null` when there are none. */
  load(): Promise<OAuthTokens | null>
  /** Replaces the stored tokens, atomically: a reader sees the old set or the new one, never a mix. */
  save(tokens: OAuthTokens): Promise<void>
  /**
   * Removes whatever is stored, readable or not (a corrupt item too: that is how a user
   * recovers from one); clearing an empty store is not an error.
   */
  clear(): Promise<void>
  /**
   * Whether something is stored, readable or not: a corrupt item exists (so `logout` can say
   * it removes it). It never throws `TOKEN_STORE_CORRUPT`; a backend it cannot reach is
   * `TOKEN_STORE_UNAVAILABLE`.
   */
  exists(): Promise<boolean>
  /**
   * Runs `fn` while holding a lock that excludes every other holder of the same store,
   * in this process and others. Stores shared across processes implement it; the token
   * manager refreshes under it. The contract every lock here keeps:
   *
   * - waiting ends: after the store's lock timeout it is `TOKEN_STORE_LOCK_TIMEOUT`, for a
   *   waiter in this process as for one in another;
   * - taking the lock again from inside `fn` is `TOKEN_STORE_LOCK_REENTERED` at once, not a hang;
   * - a live holder keeps its lock however long it is paused, where the store can tell
   *   (a file lock on one host); a holder that died leaves a lock that expires;
   * - a holder that lost its lock (a lease that lapsed while it was paused) is told through
   *   `lease`: `signal` aborts, `confirm()` rejects with `TOKEN_STORE_LOCK_LOST`, and a save
   *   it attempts is refused, never written over the new holder's.
   */
  lock?<T>(fn: (lease: LockLease) => Promise<T>): Promise<T>
  /**
   * Calls `listener` when another holder of the same storage (another browser tab, another
   * process on a token file, another machine on a Redis key or a Postgres row) saved or cleared
   * the tokens, and returns a function that stops it.
   * The token manager subscribes, so that it drops the tokens it keeps in memory at once (it
   * stops using a rotated token, and a logout in one tab signs every tab out), and so that a
   * refresh waiting for the lock takes the tokens another holder just saved, without the lock.
   * A store that cannot tell does not have it (or tells nothing: a Redis store over a bare
   * command function); the manager re-reads it under the lock before refreshing instead.
   */
  subscribe?(listener: (change: TokenStoreChange) => void): () => void
}

/** What another holder did to the stored tokens: saved a new set, or removed them. */
export type TokenStoreChange = 'saved' | 'cleared'

/** What a lock holder is told about its lock while `fn` runs. */
export interface LockLease {
  /** Aborted as soon as the holder is known to have lost the lock (a renewal found it gone). */
  readonly signal: AbortSignal
  /** Resolves while the lock is still this holder's; rejects with `TOKEN_STORE_LOCK_LOST` otherwise. Call it before sending anything that cannot be taken back. */
  confirm(): Promise<void>
}

/**
 * How a store's lock behaves: the same names in every store that has a lock of its own
 * (`@oauth/storage-memory`, `-file`, `-redis`, `-postgres`), passed as the constructor's `lock` option.
 *
 * @example
 * ```ts
 * import type { StoreLockOptions } from '@oauth/core'
 * const lock: StoreLockOptions = { timeoutMs: 10_000, staleMs: 15_000 }
 * ```
 */
export interface StoreLockOptions {
  /** How long `lock()` waits for another holder before `TOKEN_STORE_LOCK_TIMEOUT`. Default 30 s. */
  timeoutMs?: number
  /**
   * A lock whose holder has not renewed it for this long counts as abandoned and may be taken
   * over (its holder, if it was only paused, is then stopped: see `TokenStore.lock`). Stores
   * that can tell a live holder from a dead one without it (a file lock on one host) do not
   * judge by age. Default: the store's own (file 10 s, Redis 15 s, Postgres 15 s: the server
   * ends a lock holder's session silent that long).
   */
  staleMs?: number
}
