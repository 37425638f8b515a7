// The login a token manager holds: the copy in memory, the store it came from, and the
// generations that let a logout or a new login beat a refresh in flight.
import { OAUTH_NOT_LOGGED_IN, OAuthError, OAuthFlowError, type LockLease, type OAuthTokens, type TokenStore } from '@oauth/core'

/** Objects handed in or out are copies: a caller mutating one cannot change the login. */
export function copy(tokens: OAuthTokens): OAuthTokens {
  const c = { ...tokens }
  if (tokens.account) c.account = { ...tokens.account }
  if (tokens.organization) c.organization = { ...tokens.organization }
  return c
}

export class Login {
  /** The tokens in memory; `null` before the first load, and after a logout. */
  tokens: OAuthTokens | null
  /**
   * True once the login was read from the store or saved to it by this manager. From then on an
   * empty store means someone logged out, never "not saved yet": nothing is refreshed or saved
   * over it. Tokens given in memory for a store that never held them are saved at their first refresh.
   */
  inStore = false
  /** Bumped by every logout and new login: a refresh started before one of them is dropped. */
  generation = 0
  #loading: Promise<OAuthTokens | null> | undefined
  #change: Promise<void> | undefined

  constructor(
    readonly store: TokenStore | undefined,
    tokens: OAuthTokens | null,
  ) {
    this.tokens = tokens
    // Another tab saved or cleared the login: forget the copy in memory, so a rotated token is
    // not used again and a logout anywhere signs this holder out too (a refresh in flight is dropped).
    if (!store?.subscribe) return
    // Held weakly where the runtime can (workerd has no WeakRef): a program that makes a manager
    // per request over one long-lived store does not keep every one alive through its listeners.
    const self = typeof WeakRef === 'function' ? new WeakRef(this) : { deref: () => this }
    const stop = store.subscribe((change) => {
      const login = self.deref()
      if (!login) return stop?.()
      if (change === 'cleared') login.generation++
      login.#changes++
      login.forget()
      for (const wake of login.#waiters) wake()
    })
    this.#unsubscribe = stop
  }

  #unsubscribe: (() => void) | undefined

  /** Stops hearing of the store's changes (the login still works: it reads the store when it needs to). */
  close(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
  }

  /** How many changes the store told of: a read that straddles one is not kept. */
  #changes = 0

  /** Refreshes waiting for the lock, woken when the store says it changed. */
  readonly #waiters = new Set<() => void>()

  /**
   * Tokens another holder saved that replace `replacing` and are `fresh`, as soon as the store
   * tells of the change (stores with `subscribe`): a refresh waiting for the lock uses them
   * without taking it. `undefined` once `until` settles, or at once for stores that cannot tell.
   */
  newer(replacing: string, fresh: (tokens: OAuthTokens) => boolean, until: Promise<unknown>): Promise<OAuthTokens | undefined> {
    const store = this.store
    if (!store?.subscribe) return Promise.resolve(undefined)
    const generation = this.generation
    return new Promise((resolve) => {
      let done = false
      const finish = (tokens: OAuthTokens | undefined) => {
        if (done) return
        done = true
        this.#waiters.delete(check)
        resolve(tokens)
      }
      const check = () => {
        store.load().then(
          (stored) => {
            // A logout or a new login meanwhile: the lock path decides.
            if (done || !stored || stored.accessToken === replacing || !fresh(stored) || generation !== this.generation) return
            this.tokens = stored
            this.inStore = true
            finish(stored)
          },
          () => undefined, // unreadable now: the lock path reads it again and reports it
        )
      }
      this.#waiters.add(check)
      // A change told of since this manager last read the store (it dropped its copy): look now.
      if (this.tokens === null) check()
      until.then(
        () => finish(undefined),
        () => finish(undefined),
      )
    })
  }

  /** Drops the copy in memory: the next use reads the store. */
  forget(): void {
    this.tokens = null
    this.#loading = undefined
  }

  notLoggedIn(): OAuthError {
    return new OAuthFlowError(
      OAUTH_NOT_LOGGED_IN,
      this.store ? `No tokens in ${this.store.name}. Log in first (\`anthropic-oauth login\`).` : 'No tokens were given and no store is configured. Log in first.',
    )
  }

  /** The tokens in memory, else those in the store; no tokens at all is `OAUTH_NOT_LOGGED_IN`. */
  async current(): Promise<OAuthTokens> {
    const tokens = this.tokens ?? (await this.#load())
    if (!tokens) throw this.notLoggedIn()
    return tokens
  }

  /**
   * One read of the store for all callers waiting at once. A store with no login is read again
   * on the next call: a service started before `anthropic-oauth login` picks the login up.
   */
  #load(): Promise<OAuthTokens | null> {
    if (!this.store) return Promise.resolve(null)
    const generation = this.generation
    const changes = this.#changes
    const loading: Promise<OAuthTokens | null> = (this.#loading ??= this.store.load().then(
      (stored) => {
        if (this.#loading === loading) this.#loading = undefined
        if (stored) this.inStore = true
        if (generation !== this.generation) return this.tokens
        // The store told of a change while this read was on its way: what it read may be what
        // the change replaced, so it is handed to this caller but not kept (the next use reads again).
        if (changes !== this.#changes) return this.tokens ?? stored
        this.tokens ??= stored
        return this.tokens
      },
      (err) => {
        if (this.#loading === loading) this.#loading = undefined
        throw err
      },
    ))
    return loading
  }

  underLock<T>(work: (lease?: LockLease) => Promise<T>): Promise<T> {
    return this.store?.lock ? this.store.lock(work) : work()
  }

  /** A new login: saved to the store first, under its lock, then used. */
  async set(tokens: OAuthTokens): Promise<void> {
    const login = copy(tokens)
    this.generation++
    await this.#changeUnderLock(async () => {
      this.generation++
      if (this.store) await this.store.save(login)
      this.inStore = this.store !== undefined
      this.tokens = login
    })
  }

  /** A logout: forgotten at once in memory, then the store cleared under its lock. */
  async clear(): Promise<void> {
    this.generation++
    this.forget()
    await this.#changeUnderLock(async () => {
      this.generation++
      this.tokens = null
      if (this.store) await this.store.clear()
    })
  }

  /** What a login or logout that superseded a refresh left: its tokens, or `OAUTH_NOT_LOGGED_IN`. */
  async afterChange(): Promise<OAuthTokens> {
    await this.#change
    if (this.tokens) return this.tokens
    throw this.notLoggedIn()
  }

  /** A logout or login, under the store's lock; a refresh it supersedes waits for it to finish. */
  #changeUnderLock(work: () => Promise<void>): Promise<void> {
    const change = this.underLock(work)
    this.#change = change.catch(() => undefined)
    return change
  }
}
