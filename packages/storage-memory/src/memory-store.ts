import { assertOptions, INSPECT, inspectSummary, createMutex, TOKEN_STORE_LOCK_TIMEOUT, TokenStorageError, type LockLease, type OAuthTokens, type StoreLockOptions, type TokenStore } from '@oauth/core'

/** Options for {@link MemoryTokenStore}. */
export interface MemoryTokenStoreOptions {
  /** Tokens to start with. Default none. */
  tokens?: OAuthTokens | null
  /** `timeoutMs`: how long `lock()` waits for another holder in this process (default 30 s). A lock in memory is never stale. */
  lock?: Pick<StoreLockOptions, 'timeoutMs'>
}

/**
 * Keeps tokens in this process's memory: for tests, short-lived processes, and as the
 * in-memory layer of a composed store. `lock` excludes other holders in this process
 * (there is no other process to exclude), and a wait for it ends after `lock.timeoutMs`
 * (default 30 s) with `TOKEN_STORE_LOCK_TIMEOUT`. Values are copied in and out, so a caller
 * that mutates what it loaded does not change what is stored.
 *
 * @example
 * ```ts
 * import { MemoryTokenStore } from '@oauth/storage-memory'
 * const store = new MemoryTokenStore()
 * await store.save({ accessToken: 'at', refreshToken: 'rt', expiresAt: Date.now() + 3_600_000, tokenType: 'Bearer', scope: '' })
 * console.log(await store.exists()) // true
 * ```
 */
export class MemoryTokenStore implements TokenStore {
  readonly name = 'memory'
  #tokens: OAuthTokens | null
  readonly #exclusive = createMutex()
  readonly #timeoutMs: number

  constructor(options: MemoryTokenStoreOptions = {}) {
    // `new MemoryTokenStore(tokens)` once started empty without a word.
    assertOptions(options, 'MemoryTokenStore', ['tokens', 'lock'])
    this.#tokens = options.tokens ? structuredClone(options.tokens) : null
    this.#timeoutMs = options.lock?.timeoutMs ?? 30_000
  }

  async load(): Promise<OAuthTokens | null> {
    return this.#tokens && structuredClone(this.#tokens)
  }

  async save(tokens: OAuthTokens): Promise<void> {
    this.#tokens = structuredClone(tokens)
  }

  async clear(): Promise<void> {
    this.#tokens = null
  }

  async exists(): Promise<boolean> {
    return this.#tokens !== null
  }

  /** Runs holders one at a time, in the order they asked. A lock in memory is never lost: its lease never aborts. */
  lock<T>(fn: (lease: LockLease) => Promise<T>): Promise<T> {
    const lease: LockLease = { signal: new AbortController().signal, confirm: async () => undefined }
    const timeout = () => new TokenStorageError(TOKEN_STORE_LOCK_TIMEOUT, `Waited ${this.#timeoutMs} ms for the memory store's lock, held by another caller in this process (or by the caller itself, from inside the lock).`)
    return this.#exclusive(() => fn(lease), { timeoutMs: this.#timeoutMs, error: timeout })
  }

  toJSON(): Record<string, unknown> {
    return { store: this.name, hasTokens: this.#tokens !== null }
  }

  readonly [INSPECT] = inspectSummary
}
