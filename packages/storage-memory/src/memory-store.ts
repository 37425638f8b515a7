import { createMutex, type OAuthTokens, type TokenStore } from '@oauth/core'

/**
 * Keeps tokens in this process's memory: for tests, short-lived processes, and as the
 * in-memory layer of a composed store. `lock` excludes other holders in this process
 * (there is no other process to exclude). Values are copied in and out, so a caller
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

  constructor(tokens: OAuthTokens | null = null) {
    this.#tokens = tokens && structuredClone(tokens)
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

  /** Runs holders one at a time, in the order they asked. */
  lock<T>(fn: () => Promise<T>): Promise<T> {
    return this.#exclusive(fn)
  }

  toJSON(): Record<string, unknown> {
    return { store: this.name, hasTokens: this.#tokens !== null }
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `MemoryTokenStore ${JSON.stringify(this.toJSON())}`
  }
}
