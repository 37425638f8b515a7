import {
  createMutex,
  deserializeTokens,
  INSPECT,
  inspectSummary,
  serializeTokens,
  TOKEN_STORE_LOCK_TIMEOUT,
  TokenStorageError,
  type LockLease,
  type Mutex,
  type OAuthTokens,
  type StoreLockOptions,
  type TokenStore,
} from '@oauth/core'

/** The part of a Durable Object's storage (`ctx.storage`) this store uses. */
export interface DurableObjectStorageLike {
  get(key: string): Promise<unknown>
  put(key: string, value: unknown): Promise<void>
  delete(key: string): Promise<boolean>
}

/** Options for {@link DurableObjectTokenStore}. */
export interface DurableObjectTokenStoreOptions {
  /** The storage key. Default `oauth:tokens`. */
  key?: string
  /** `timeoutMs`: how long `lock()` waits for the holder before `TOKEN_STORE_LOCK_TIMEOUT` (default 30 s). */
  lock?: Pick<StoreLockOptions, 'timeoutMs'>
}

/** One queue per storage: every handle on one object's storage excludes every other. */
const queues = new WeakMap<DurableObjectStorageLike, Mutex>()

/**
 * A `TokenStore` in a Durable Object's own storage, used inside the object (see
 * {@link TokenSessionObject}). Cloudflare runs one instance of an object at a time, worldwide,
 * so a lock in its memory excludes every request for that login: requests interleave at every
 * `await`, and the lock is what keeps a refresh from starting twice. Writes are the storage's
 * own `put`, atomic and durable before the object answers.
 *
 * @example
 * ```ts
 * import { DurableObjectTokenStore } from '@oauth/storage-durable-object'
 * export class Session {
 *   store: DurableObjectTokenStore
 *   constructor(ctx: { storage: { get(k: string): Promise<unknown>; put(k: string, v: unknown): Promise<void>; delete(k: string): Promise<boolean> } }) {
 *     this.store = new DurableObjectTokenStore(ctx.storage)
 *   }
 * }
 * ```
 */
export class DurableObjectTokenStore implements TokenStore {
  readonly name: string
  readonly #storage: DurableObjectStorageLike
  readonly #key: string
  readonly #timeoutMs: number
  readonly #exclusive: Mutex

  constructor(storage: DurableObjectStorageLike, options: DurableObjectTokenStoreOptions = {}) {
    this.#storage = storage
    this.#key = options.key ?? 'oauth:tokens'
    this.#timeoutMs = options.lock?.timeoutMs ?? 30_000
    this.name = `durable object storage ${this.#key}`
    let queue = queues.get(storage)
    if (!queue) queues.set(storage, (queue = createMutex()))
    this.#exclusive = queue
  }

  async load(): Promise<OAuthTokens | null> {
    const value = await this.#storage.get(this.#key)
    if (value === undefined) return null
    return deserializeTokens(typeof value === 'string' ? value : '', this.name)
  }

  async save(tokens: OAuthTokens): Promise<void> {
    await this.#storage.put(this.#key, serializeTokens(tokens))
  }

  async clear(): Promise<void> {
    await this.#storage.delete(this.#key)
  }

  async exists(): Promise<boolean> {
    return (await this.#storage.get(this.#key)) !== undefined
  }

  lock<T>(fn: (lease: LockLease) => Promise<T>): Promise<T> {
    // Nobody takes the lock from its holder: one object runs in one isolate, and its queue lives there.
    // (Made per call: workerd allows no AbortController at a module's top level.)
    const lease: LockLease = { signal: new AbortController().signal, confirm: async () => {} }
    return this.#exclusive(() => fn(lease), {
      timeoutMs: this.#timeoutMs,
      error: () =>
        new TokenStorageError(
          TOKEN_STORE_LOCK_TIMEOUT,
          `Waited ${this.#timeoutMs} ms for the lock on ${this.name}: a refresh in this object is taking that long (taking the lock again from inside the section it guards also ends here). Inside lock(), use the store's load and save directly.`,
        ),
    })
  }

  toJSON(): Record<string, unknown> {
    return { store: 'durable-object', key: this.#key }
  }

  readonly [INSPECT] = inspectSummary
}
