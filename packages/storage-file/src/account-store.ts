// The store of an account named before it is known: found on first use, so that a program can
// be built before the login it will use exists.
import { ERR_INVALID_ARG_VALUE, INSPECT, inspectSummary, invalidArgument, type LockLease, type OAuthTokens, type TokenStore } from '@oauth/core'

/** A store that finds its account's store on first use. */
export class AccountTokenStore implements TokenStore {
  readonly name: string
  readonly #resolve: () => Promise<TokenStore>
  #store: Promise<TokenStore> | undefined

  constructor(account: string | undefined, resolveStore: () => Promise<TokenStore>) {
    this.name = `account ${account ?? '(default)'}`
    this.#resolve = resolveStore
  }

  #get(): Promise<TokenStore> {
    // A failed lookup is not kept: the account may be logged in to meanwhile.
    this.#store ??= this.#resolve().catch((err) => {
      this.#store = undefined
      throw err
    })
    return this.#store
  }

  async load(): Promise<OAuthTokens | null> {
    return (await this.#get()).load()
  }
  async save(tokens: OAuthTokens): Promise<void> {
    return (await this.#get()).save(tokens)
  }
  async clear(): Promise<void> {
    return (await this.#get()).clear()
  }
  async exists(): Promise<boolean> {
    return (await this.#get()).exists()
  }
  async lock<T>(fn: (lease: LockLease) => Promise<T>): Promise<T> {
    const store = await this.#get()
    if (!store.lock) throw invalidArgument(ERR_INVALID_ARG_VALUE, `The store of ${this.name} has no lock: an account's store (the keychain factory's, say) must lock, or processes sharing it refresh at once.`)
    return store.lock(fn)
  }
  toJSON(): Record<string, unknown> {
    return { store: this.name }
  }
  readonly [INSPECT] = inspectSummary
}
