import { ERR_INVALID_ARG_VALUE, invalidArgument, TOKEN_STORE_UNAVAILABLE, TokenStorageError } from './errors.js'
import type { TokenStore } from './token-store.js'

const unavailable = (err: unknown) => err instanceof TokenStorageError && err.code === TOKEN_STORE_UNAVAILABLE

/**
 * One store made of several, in order of preference: `load` answers from the first store
 * that has tokens, `save` writes to the first writable one (not `savesInMemoryOnly`), and `lock`
 * is that store's lock. A store that reports `TOKEN_STORE_UNAVAILABLE` (a locked or
 * missing keychain, say) is passed over; every other error (a corrupt file) is thrown,
 * never skipped. The fallback is yours to compose; no single store falls back silently.
 *
 * @example
 * ```ts
 * import { composeStores } from '@oauth/core'
 * import { FileTokenStore } from '@oauth/storage-file'
 * import { KeychainTokenStore } from '@oauth/storage-keychain'
 * const store = composeStores(new KeychainTokenStore(), new FileTokenStore())
 * ```
 */
export function composeStores(...stores: TokenStore[]): TokenStore {
  if (stores.length === 0) throw invalidArgument(ERR_INVALID_ARG_VALUE, 'composeStores needs at least one store.')
  const writable = stores.filter((s) => !s.savesInMemoryOnly)
  const writeOrder = writable.length > 0 ? writable : stores
  const lockHolder = writeOrder.find((s) => typeof s.lock === 'function')

  async function firstAvailable<T>(order: TokenStore[], op: (s: TokenStore) => Promise<T>): Promise<T> {
    let last: unknown
    for (const store of order) {
      try {
        return await op(store)
      } catch (err) {
        if (!unavailable(err)) throw err
        last = err
      }
    }
    throw last
  }

  /**
   * Asks each store in turn until one has something; a store that is unavailable is passed
   * over, unless none could be reached at all.
   */
  async function firstFound<T>(op: (s: TokenStore) => Promise<T>, none: T): Promise<T> {
    let reachable = 0
    let last: unknown
    for (const store of stores) {
      try {
        const found = await op(store)
        reachable++
        if (found) return found
      } catch (err) {
        if (!unavailable(err)) throw err
        last = err
      }
    }
    if (reachable === 0) throw last
    return none
  }

  const composed: TokenStore = {
    name: stores.map((s) => s.name).join(' → '),
    savesInMemoryOnly: writable.length === 0,
    load: () => firstFound((s) => s.load(), null),
    save: (tokens) => firstAvailable(writeOrder, (s) => s.save(tokens)),
    async clear() {
      for (const store of stores) {
        try {
          await store.clear()
        } catch (err) {
          if (!unavailable(err)) throw err
        }
      }
    },
    exists: () => firstFound((s) => s.exists(), false),
  }
  if (lockHolder) composed.lock = (fn) => lockHolder.lock!(fn)
  return composed
}
