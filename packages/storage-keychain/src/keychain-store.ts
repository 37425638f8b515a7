import { AsyncEntry, type LinuxStore } from '@napi-rs/keyring'
import { assertOptions, INSPECT, inspectSummary, deserializeTokens, serializeTokens, TOKEN_STORE_UNAVAILABLE, TokenStorageError, type OAuthTokens, type TokenStore } from '@oauth/core'

/** Options for {@link KeychainTokenStore}. */
export interface KeychainTokenStoreOptions {
  /** The keychain item's service. Default `anthropic-oauth`. */
  service?: string
  /** The keychain item's account. Default `default`. */
  account?: string
  /**
   * Linux only: which store to use. Default `secret-service` (GNOME Keyring, KWallet…).
   * Pinned, so that a missing Secret Service is an error instead of a silent switch to
   * the kernel keyring (whose items vanish at logout).
   */
  linuxStore?: LinuxStore
  /**
   * The lock shared by processes using this login. A keychain has none of its own: borrow a
   * store's (`lock: { using: new FileTokenStore() }`), or compose the keychain with a store
   * that has one.
   */
  lock?: { using: Pick<TokenStore, 'lock'> }
}

/**
 * A `TokenStore` in the operating system's credential store: the macOS Keychain, the
 * Windows Credential Manager, or the Linux Secret Service, through one maintained native
 * binding. A locked or missing keychain is `TOKEN_STORE_UNAVAILABLE`, which
 * `composeStores(keychain, file)` passes over to fall back to a file.
 *
 * @example
 * ```ts
 * import { composeStores } from '@oauth/core'
 * import { FileTokenStore } from '@oauth/storage-file'
 * import { KeychainTokenStore } from '@oauth/storage-keychain'
 * const file = new FileTokenStore()
 * const store = composeStores(new KeychainTokenStore({ lock: { using: file } }), file)
 * ```
 */
export class KeychainTokenStore implements TokenStore {
  readonly name: string
  readonly #service: string
  readonly #account: string
  readonly #linuxStore: LinuxStore
  #entryInstance: AsyncEntry | undefined
  lock?: TokenStore['lock']

  constructor(options: KeychainTokenStoreOptions = {}) {
    assertOptions(options, 'KeychainTokenStore', ['service', 'account', 'linuxStore', 'lock'])
    const service = options.service ?? 'anthropic-oauth'
    const account = options.account ?? 'default'
    this.name = `keychain ${service}/${account}`
    this.#service = service
    this.#account = account
    this.#linuxStore = options.linuxStore ?? 'secret-service'
    const lender = options.lock?.using
    if (lender?.lock) this.lock = (fn) => lender.lock!(fn)
  }

  async #call<T>(what: string, op: (entry: AsyncEntry) => Promise<T>): Promise<T> {
    try {
      // Created on first use: the binding connects (and can fail) as the entry is made.
      this.#entryInstance ??= new AsyncEntry(this.#service, this.#account, { linux: { store: this.#linuxStore } })
      return await op(this.#entryInstance)
    } catch (err) {
      throw new TokenStorageError(
        TOKEN_STORE_UNAVAILABLE,
        `The system keychain could not ${what} ${this.name}: ${(err as Error)?.message ?? err}. Unlock the keychain (on Linux: a running Secret Service such as gnome-keyring), or use another store.`,
        { cause: err },
      )
    }
  }

  async load(): Promise<OAuthTokens | null> {
    const secret = await this.#call('read', (entry) => entry.getPassword())
    return secret === null || secret === undefined ? null : deserializeTokens(secret, this.name)
  }

  async save(tokens: OAuthTokens): Promise<void> {
    await this.#call('write', (entry) => entry.setPassword(serializeTokens(tokens)))
  }

  async clear(): Promise<void> {
    await this.#call('delete', (entry) =>
      entry.deletePassword().catch((err: Error) => {
        // Deleting what is not there is not an error.
        if (!/no (matching )?entry|not found/i.test(String(err?.message))) throw err
        return false
      }),
    )
  }

  /** Whether the item is there, readable or not: a corrupt item exists, and `clear()` removes it. */
  async exists(): Promise<boolean> {
    const secret = await this.#call('read', (entry) => entry.getPassword())
    return secret !== null && secret !== undefined
  }

  toJSON(): Record<string, unknown> {
    return { store: 'keychain', item: this.name }
  }

  readonly [INSPECT] = inspectSummary
}
