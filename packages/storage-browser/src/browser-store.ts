import {
  createMutex,
  deserializeTokens,
  ERR_INVALID_ARG_VALUE,
  INSPECT,
  inspectSummary,
  invalidArgument,
  pollUntil,
  serializeTokens,
  TOKEN_STORE_LOCK_LOST,
  TOKEN_STORE_LOCK_TIMEOUT,
  TOKEN_STORE_UNAVAILABLE,
  TokenStorageError,
  type LockLease,
  type OAuthTokens,
  type StoreLockOptions,
  type TokenStore,
  type TokenStoreChange,
} from '@oauth/core'
import { done, LEASES, randomId, TOKENS, webLock, type Lease } from './idb.js'

/** Options for {@link BrowserTokenStore}. */
export interface BrowserTokenStoreOptions {
  /** The key the tokens are kept under, one per login (`my-app`, `my-app:alice`). */
  key: string
  /** The IndexedDB database. Default `oauth-tokens`. */
  database?: string
  /**
   * The lock. `timeoutMs`: how long `lock()` waits for another tab (default 30 s). `staleMs`:
   * only where Web Locks is missing, how long the IndexedDB lease lives without its tab renewing
   * it (default 10 s). With Web Locks the browser itself frees the lock of a closed tab.
   */
  lock?: StoreLockOptions
}

/**
 * A `TokenStore` for browser apps, shared by every tab of one origin.
 *
 * - Tokens live in IndexedDB (database `oauth-tokens`, under the key you choose), written with
 *   `strict` durability: a rotated refresh token is on disk before it is used.
 * - `lock(fn)` is a Web Lock (`navigator.locks`), so the token manager refreshes in one tab at a
 *   time and the others, re-reading the store under the lock, use what it saved. The browser
 *   frees the lock of a tab that is closed or crashes, so a closed tab never wedges it. Where
 *   Web Locks is missing (a page served over plain http, which is not a secure context, or an
 *   old browser), the lock is a lease in IndexedDB that its tab renews and that expires after
 *   `lock.staleMs`; a tab that lost its lease cannot save.
 * - `subscribe` tells the other tabs at once, through a `BroadcastChannel`, that the tokens were
 *   saved or cleared; the token manager subscribes, so no tab keeps using a rotated token, and a
 *   logout in one tab signs all of them out.
 *
 * Anything that runs script in your origin (an XSS hole, a compromised dependency) can read
 * these tokens, as it could read memory or `localStorage`. See the package README for when a
 * backend-for-frontend, which keeps tokens off the page entirely, is the better design.
 *
 * @example
 * ```ts
 * import { TokenManager } from '@oauth/http'
 * import { BrowserTokenStore } from '@oauth/storage-browser'
 * const manager = new TokenManager({ tokenStorage: new BrowserTokenStore({ key: 'my-app' }), oauthConfig: config })
 * const accessToken = await manager.getAccessToken() // one refresh across all tabs
 * ```
 */
export class BrowserTokenStore implements TokenStore {
  readonly name: string
  readonly #key: string
  readonly #database: string
  readonly #timeoutMs: number
  readonly #staleMs: number
  #opening: Promise<IDBDatabase> | undefined
  #channel: BroadcastChannel | undefined
  readonly #listeners = new Set<(change: TokenStoreChange) => void>()
  /** Tabs queue for the IndexedDB lease in memory first, as processes do for a file lock. */
  readonly #exclusive = createMutex()
  /** This tab's lease while it holds one (the fallback lock only): its saves are fenced by it. */
  #lease: { owner: string; lose(): never } | undefined

  constructor(options: BrowserTokenStoreOptions) {
    if (typeof options?.key !== 'string' || options.key === '') throw invalidArgument(ERR_INVALID_ARG_VALUE, 'BrowserTokenStore needs `key`: a non-empty name for this login, such as your app\'s name.')
    this.#key = options.key
    this.#database = options.database ?? 'oauth-tokens'
    this.#timeoutMs = options.lock?.timeoutMs ?? 30_000
    this.#staleMs = options.lock?.staleMs ?? 10_000
    this.name = `IndexedDB ${this.#database}/${this.#key}`
  }

  #unavailable(err: unknown): TokenStorageError {
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    return new TokenStorageError(
      TOKEN_STORE_UNAVAILABLE,
      `${this.name} cannot be used (${reason}). IndexedDB is missing or blocked in some private windows, sandboxed frames, and when the disk is full.`,
      { cause: err },
    )
  }

  #db(): Promise<IDBDatabase> {
    this.#opening ??= new Promise<IDBDatabase>((resolve, reject) => {
      if (typeof indexedDB === 'undefined') throw new Error('there is no indexedDB in this context')
      const request = indexedDB.open(this.#database, 1)
      request.onupgradeneeded = () => {
        for (const store of [TOKENS, LEASES]) if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store)
      }
      request.onsuccess = () => {
        const db = request.result
        // Another tab deletes or upgrades the database, or the browser closes it (site data
        // cleared, storage evicted): let go, and open again on next use.
        db.onversionchange = db.onclose = () => this.#drop(db)
        resolve(db)
      }
      request.onerror = () => reject(request.error)
    }).catch((err: unknown) => {
      this.#opening = undefined
      throw this.#unavailable(err)
    })
    return this.#opening
  }

  #drop(db: IDBDatabase): void {
    db.close()
    this.#opening = undefined
  }

  /** One transaction; `work` queues its requests, and the result is read once it has committed. */
  async #transaction<T>(mode: IDBTransactionMode, work: (tx: IDBTransaction) => () => T): Promise<T> {
    for (let retried = false; ; retried = true) {
      const db = await this.#db()
      try {
        const tx = db.transaction([TOKENS, LEASES], mode, { durability: 'strict' })
        const result = work(tx)
        await done(tx)
        return result()
      } catch (err) {
        // "The database connection is closing": the browser closed it without telling us (site
        // data cleared in another tab). Once, open the database again; it is empty then.
        if (!retried && (err as Error)?.name === 'InvalidStateError') {
          this.#drop(db)
          continue
        }
        throw err instanceof TokenStorageError ? err : this.#unavailable(err)
      }
    }
  }

  async load(): Promise<OAuthTokens | null> {
    const value = await this.#transaction('readonly', (tx) => {
      const request = tx.objectStore(TOKENS).get(this.#key)
      return () => request.result as unknown
    })
    if (value === undefined) return null
    return deserializeTokens(typeof value === 'string' ? value : '', this.name)
  }

  async save(tokens: OAuthTokens): Promise<void> {
    const value = serializeTokens(tokens)
    await this.#write((store) => store.put(value, this.#key))
    this.#announce('saved')
  }

  async clear(): Promise<void> {
    await this.#write((store) => store.delete(this.#key))
    this.#announce('cleared')
  }

  async exists(): Promise<boolean> {
    const count = await this.#transaction('readonly', (tx) => {
      const request = tx.objectStore(TOKENS).count(this.#key)
      return () => request.result
    })
    return count > 0
  }

  /** A write; while this tab holds an IndexedDB lease, only if the lease is still its own (in the same transaction). */
  async #write(change: (store: IDBObjectStore) => void): Promise<void> {
    const held = this.#lease
    const fenced = await this.#transaction('readwrite', (tx) => {
      let ok = true
      if (!held) change(tx.objectStore(TOKENS))
      else {
        const request = tx.objectStore(LEASES).get(this.#key)
        request.onsuccess = () => {
          ok = (request.result as Lease | undefined)?.owner === held.owner
          if (ok) change(tx.objectStore(TOKENS))
        }
      }
      return () => ok
    })
    if (!fenced) held!.lose()
  }

  subscribe(listener: (change: TokenStoreChange) => void): () => void {
    this.#listeners.add(listener)
    this.#openChannel()
    return () => void this.#listeners.delete(listener)
  }

  #openChannel(): BroadcastChannel | undefined {
    if (this.#channel || typeof BroadcastChannel !== 'function') return this.#channel
    this.#channel = new BroadcastChannel(`oauth-tokens:${this.#database}:${this.#key}`)
    this.#channel.onmessage = (event: MessageEvent) => {
      if (event.data !== 'saved' && event.data !== 'cleared') return
      for (const listener of this.#listeners) listener(event.data)
    }
    return this.#channel
  }

  /** Sent after the write committed, so a tab that reads on the message reads the new value. Never the tokens themselves. */
  #announce(change: TokenStoreChange): void {
    this.#openChannel()?.postMessage(change)
  }

  lock<T>(fn: (lease: LockLease) => Promise<T>): Promise<T> {
    const locks = globalThis.navigator?.locks
    if (locks) return webLock(locks, `oauth-tokens:${this.#database}:${this.#key}`, this.#timeoutMs, fn, () => this.#timeout())
    const deadline = performance.now() + this.#timeoutMs
    return this.#exclusive(() => this.#leaseLock(fn, deadline), { timeoutMs: this.#timeoutMs, error: () => this.#timeout() })
  }

  #timeout(): TokenStorageError {
    return new TokenStorageError(
      TOKEN_STORE_LOCK_TIMEOUT,
      `Waited ${this.#timeoutMs} ms for the lock on ${this.name}: another tab is refreshing or stuck. Taking the lock again from inside the section it guards also ends here (a browser cannot tell that call apart); inside lock(), use the store's load and save directly.`,
    )
  }

  /** The fallback where Web Locks is missing: a lease in IndexedDB, as the Redis store's `SET NX PX`. */
  async #leaseLock<T>(fn: (lease: LockLease) => Promise<T>, deadline: number): Promise<T> {
    const owner = randomId()
    // Taking: when the lease is free or lapsed. Renewing (`held`): only while the record is still
    // this tab's, as the Redis store's compare-and-expire; a lease another tab held in between,
    // even one it has since released, is lost, never taken back.
    const take = (held = false) =>
      this.#transaction('readwrite', (tx) => {
        let taken = false
        const leases = tx.objectStore(LEASES)
        const request = leases.get(this.#key)
        request.onsuccess = () => {
          const current = request.result as Lease | undefined
          if (held ? current?.owner !== owner : current && current.expires > Date.now()) return
          leases.put({ owner, expires: Date.now() + this.#staleMs } satisfies Lease, this.#key)
          taken = true
        }
        return () => taken
      })
    await pollUntil(async () => ((await take()) ? true : undefined), deadline, () => this.#timeout())
    const controller = new AbortController()
    const lost = () =>
      new TokenStorageError(
        TOKEN_STORE_LOCK_LOST,
        `The lock on ${this.name} lapsed while this tab held it (the tab was paused or throttled for longer than lock.staleMs, ${this.#staleMs} ms); its work was stopped and nothing was saved.`,
      )
    const lose = (): never => {
      if (!controller.signal.aborted) controller.abort(lost())
      throw lost()
    }
    const lease: LockLease = {
      signal: controller.signal,
      confirm: async () => {
        if (controller.signal.aborted || !(await take(true))) lose()
      },
    }
    const renew = setInterval(() => void take(true).then((ok) => ok || controller.abort(lost()), () => controller.abort(lost())), this.#staleMs / 3)
    this.#lease = { owner, lose }
    try {
      return await fn(lease)
    } finally {
      clearInterval(renew)
      this.#lease = undefined
      await this.#transaction('readwrite', (tx) => {
        const leases = tx.objectStore(LEASES)
        const request = leases.get(this.#key)
        request.onsuccess = () => {
          if ((request.result as Lease | undefined)?.owner === owner) leases.delete(this.#key)
        }
        return () => undefined
      }).catch(() => undefined)
    }
  }

  /** Closes the database connection and the channel to other tabs; the store opens them again if used. */
  close(): void {
    this.#channel?.close()
    this.#channel = undefined
    void this.#opening?.then((db) => db.close(), () => undefined)
    this.#opening = undefined
  }

  toJSON(): Record<string, unknown> {
    return { store: 'browser', database: this.#database, key: this.#key }
  }

  readonly [INSPECT] = inspectSummary
}
