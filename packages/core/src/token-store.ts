import type { OAuthTokens } from './tokens.js'

/**
 * Where a token set lives between runs. One small contract, one adapter per backend
 * (`@oauth/storage-memory`, `-env`, `-file`, `-keychain`, `-redis`).
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
  /** True when `save` keeps tokens only in this process (the environment store): composition writes elsewhere first. */
  readonly readOnly?: boolean
  /** The stored tokens, or `null` when there are none. */
  load(): Promise<OAuthTokens | null>
  /** Replaces the stored tokens, atomically: a reader sees the old set or the new one, never a mix. */
  save(tokens: OAuthTokens): Promise<void>
  /** Removes the stored tokens; clearing an empty store is not an error. */
  clear(): Promise<void>
  exists(): Promise<boolean>
  /**
   * Runs `fn` while holding a lock that excludes every other holder of the same store,
   * in this process and others. A holder that dies leaves a lock that expires.
   * Stores shared across processes implement it; the token manager refreshes under it.
   */
  lock?<T>(fn: () => Promise<T>): Promise<T>
}
