import { readFile, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import {
  assertOptions,
  ERR_INVALID_ARG_VALUE,
  INSPECT,
  inspectSummary,
  invalidArgument,
  OAUTH_NOT_LOGGED_IN,
  OAuthFlowError,
  TOKEN_STORE_CORRUPT,
  TokenStorageError,
  type OAuthConfig,
  type StoreLockOptions,
  type TokenStore,
} from '@oauth/core'
import { ensureDirectory, writeFileAtomic } from './atomic-write.js'
import { errno } from './errno.js'
import { defaultTokenPath, FileTokenStore } from './file-store.js'
import { serverMismatch, validServer, withoutSecrets, type AccountPresets, type AccountServer } from './account-servers.js'
import { AccountTokenStore } from './account-store.js'
import { withFileLock } from './lock.js'
import { SdkProfileTokenStore } from './sdk-profile.js'

/** Where an account's login lives: a token file, the system keychain, or an Anthropic SDK profile of the account's name. */
export type AccountStoreKind = 'file' | 'keychain' | 'profile'

/** One named login. */
export interface Account {
  name: string
  store: AccountStoreKind
  /** Whether it is the account used when none is named. */
  isDefault: boolean
  /** The server its tokens belong to; absent for a login made before servers were recorded. */
  server?: AccountServer
}

/** Makes the keychain store of an account; pass `KeychainTokenStore` from `@oauth/storage-keychain` as `(o) => new KeychainTokenStore(o)`. */
export type KeychainStoreFactory = (options: { account: string; lock: { using: Pick<TokenStore, 'lock'> } }) => TokenStore

/** Options for {@link Accounts}. */
export interface AccountsOptions {
  /** Where the account list and the token files live. Default `~/.anthropic` (the folder of {@link defaultTokenPath}). */
  dir?: string
  /** For accounts kept in the keychain: how to make their store (this package does not depend on the keychain's). */
  keychain?: KeychainStoreFactory
  /** For accounts kept as SDK profiles: as {@link SdkProfileTokenStore}'s options. */
  profile?: { configDir?: string; clientId?: string; baseUrl?: string }
  /** The lock of every account's store, and of the account list. */
  lock?: StoreLockOptions
  /**
   * What the presets an account may record mean (`{ preset: 'anthropic' }`), to check that its
   * tokens go only to its server: `{ anthropic: ANTHROPIC_OAUTH_CONFIG }` (`@oauth/anthropic`),
   * as `AnthropicOAuth` and the CLI pass. Default none: an account of a preset is then refused by
   * {@link Accounts.store} when a `server` is given.
   */
  presets?: AccountPresets
}

interface Registry {
  version: 1
  default?: string
  accounts: Record<string, { store: AccountStoreKind; server?: AccountServer }>
}

/** The account that a login without a name is, and the one a single-login file from before accounts becomes. */
export const DEFAULT_ACCOUNT = 'default'
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
const KINDS: readonly AccountStoreKind[] = ['file', 'keychain', 'profile']

/** Throws a `TypeError` unless `name` can name an account (and so a file, a keychain item and a profile). */
export function assertAccountName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalidArgument(ERR_INVALID_ARG_VALUE, `Account name "${String(name).slice(0, 80)}" is not allowed: use up to 64 letters, digits, '_', '.' and '-', starting with a letter or digit.`)
  }
}

/**
 * Several logins side by side, each under a name (a personal subscription and a work one),
 * with one of them the default. Each account has its own store, so its own lock: processes
 * using different accounts never wait for each other or share a refresh.
 *
 * - The account list is `<dir>/accounts.json` (0600, written atomically under its own lock).
 * - Account `default` in a file is `<dir>/oauth_tokens.json`, the single-login file of
 *   earlier versions and of the Anthropic Python SDK: an existing login there is the default
 *   account as it is, never moved or rewritten. Other accounts in files are
 *   `<dir>/accounts/<name>.json`.
 * - In the keychain, the item's account is the account's name; in an SDK profile, the
 *   profile's name is.
 *
 * @example
 * ```ts
 * import { Accounts } from '@oauth/storage-file'
 * const accounts = new Accounts({ dir: '/tmp/oauth-example' }) // default ~/.anthropic
 * const { defaultAccount, accounts: list } = await accounts.list()
 * const store = accounts.store('work') // the `work` login's store; an unknown name fails on first use
 * ```
 */
export class Accounts {
  readonly dir: string
  /** The account list. */
  readonly path: string
  readonly #options: AccountsOptions

  constructor(options: AccountsOptions = {}) {
    assertOptions(options, 'Accounts', ['dir', 'keychain', 'profile', 'lock', 'presets'])
    this.dir = resolve(options.dir ?? dirname(defaultTokenPath()))
    this.path = join(this.dir, 'accounts.json')
    this.#options = options
  }

  /** The token file of a file account (for a keychain account, the file whose lock it borrows). */
  tokenPath(name: string): string {
    assertAccountName(name)
    return name === DEFAULT_ACCOUNT ? join(this.dir, 'oauth_tokens.json') : join(this.dir, 'accounts', `${name}.json`)
  }

  async #read(): Promise<Registry> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if (errno(err) === 'ENOENT') return { version: 1, accounts: {} }
      throw new TokenStorageError(TOKEN_STORE_CORRUPT, `Cannot read the account list ${this.path} (${errno(err)}). It was left as it is.`, { cause: err })
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    const accounts = (json as Registry | undefined)?.accounts
    const valid =
      typeof accounts === 'object' &&
      accounts !== null &&
      Object.entries(accounts).every(([name, a]) => NAME.test(name) && KINDS.includes((a as { store?: AccountStoreKind })?.store as AccountStoreKind) && validServer((a as { server?: unknown }).server))
    if (!valid) throw new TokenStorageError(TOKEN_STORE_CORRUPT, `The account list ${this.path} is not valid. It was left as it is: fix or remove it.`)
    const registry = json as Registry
    return { version: 1, accounts: registry.accounts, ...(typeof registry.default === 'string' && NAME.test(registry.default) ? { default: registry.default } : {}) }
  }

  /** Read, change and write the list under its lock: two logins at once both land. */
  async #update<T>(change: (registry: Registry) => T | Promise<T>): Promise<T> {
    await ensureDirectory(this.dir)
    const lock = { staleMs: this.#options.lock?.staleMs ?? 10_000, timeoutMs: this.#options.lock?.timeoutMs ?? 30_000 }
    return withFileLock(`${this.path}.lock`, lock, async (lease) => {
      const registry = await this.#read()
      const result = await change(registry)
      await writeFileAtomic(this.path, `${JSON.stringify(registry, null, 2)}\n`, () => lease.confirm())
      return result
    })
  }

  /** The accounts, sorted by name, and which one is the default. A single-login file from before accounts is listed as `default`. */
  async list(): Promise<{ defaultAccount: string; accounts: Account[] }> {
    const registry = await this.#read()
    const kinds: Record<string, AccountStoreKind> = Object.fromEntries(Object.entries(registry.accounts).map(([name, a]) => [name, a.store]))
    if (!kinds[DEFAULT_ACCOUNT] && (await isFile(this.tokenPath(DEFAULT_ACCOUNT)))) kinds[DEFAULT_ACCOUNT] = 'file'
    const defaultAccount = registry.default && kinds[registry.default] ? registry.default : DEFAULT_ACCOUNT
    const accounts = Object.keys(kinds)
      .sort()
      .map((name) => {
        const server = registry.accounts[name]?.server
        return { name, store: kinds[name]!, isDefault: name === defaultAccount, ...(server ? { server } : {}) }
      })
    return { defaultAccount, accounts }
  }

  /**
   * Which login a program uses, in one order for the CLI and the client: the `name` given, else
   * `ANTHROPIC_OAUTH_ACCOUNT`, else the default account (`anthropic-oauth accounts use`), else
   * `default` (`~/.anthropic/oauth_tokens.json`). `account` is absent when no login has that name.
   */
  async resolve(name?: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<{ name: string; account?: Account }> {
    const wanted = name ?? (env.ANTHROPIC_OAUTH_ACCOUNT || undefined)
    if (wanted !== undefined) assertAccountName(wanted)
    const { defaultAccount, accounts } = await this.list()
    const chosen = wanted ?? defaultAccount
    const account = accounts.find((a) => a.name === chosen)
    return account ? { name: chosen, account } : { name: chosen }
  }

  /** The account of this name (default: the default account), or `undefined` when there is none. */
  async find(name?: string): Promise<Account | undefined> {
    if (name !== undefined) assertAccountName(name)
    const { defaultAccount, accounts } = await this.list()
    return accounts.find((a) => a.name === (name ?? defaultAccount))
  }

  /**
   * Records an account after a login, with the server its tokens belong to (a new login replaces
   * the one recorded). An account already kept elsewhere is not moved: that is a `TypeError`.
   */
  async add(name: string, store: AccountStoreKind = 'file', server?: AccountServer): Promise<Account> {
    assertAccountName(name)
    if (!KINDS.includes(store)) throw invalidArgument(ERR_INVALID_ARG_VALUE, `Unknown account store "${String(store)}": use file, keychain or profile.`)
    return this.#update((registry) => {
      const kept = registry.accounts[name]?.store
      if (kept && kept !== store) {
        throw invalidArgument(ERR_INVALID_ARG_VALUE, `Account "${name}" is kept in the ${kept} store, not the ${store} one. Log it out first to move it.`)
      }
      if (server !== undefined && !validServer(server)) throw invalidArgument(ERR_INVALID_ARG_VALUE, 'The server of an account is { preset: "<name>" } or { config } with a clientId and a tokenUrl.')
      registry.accounts[name] = server ? { store, server: withoutSecrets(server) } : { store }
      return { name, store, isDefault: (registry.default ?? DEFAULT_ACCOUNT) === name, ...(server ? { server: withoutSecrets(server) } : {}) }
    })
  }

  /** Makes `name` the default account. */
  async use(name: string): Promise<void> {
    assertAccountName(name)
    const known = await this.find(name)
    if (!known) throw await this.#unknown(name)
    await this.#update((registry) => {
      registry.accounts[name] ??= { store: known.store }
      registry.default = name
    })
  }

  /** Forgets an account (its store is cleared by the caller). Returns whether it was listed; the default then falls back to `default`. */
  async remove(name: string): Promise<boolean> {
    assertAccountName(name)
    return this.#update((registry) => {
      const had = name in registry.accounts
      delete registry.accounts[name]
      if (registry.default === name) delete registry.default
      return had
    })
  }

  /** The store of an account as it is recorded. */
  open(account: Pick<Account, 'name' | 'store'>): TokenStore {
    const lock = this.#options.lock
    if (account.store === 'profile') return new SdkProfileTokenStore({ ...this.#options.profile, profile: account.name, lock })
    const file = new FileTokenStore({ path: this.tokenPath(account.name), lock })
    if (account.store === 'file') return file
    if (!this.#options.keychain) {
      throw invalidArgument(
        ERR_INVALID_ARG_VALUE,
        `Account "${account.name}" is kept in the system keychain: pass \`keychain: (o) => new KeychainTokenStore(o)\` (from @oauth/storage-keychain) in the Accounts options.`,
      )
    }
    return this.#options.keychain({ account: account.name, lock: { using: file } })
  }

  /**
   * The store of the account `name`, resolved on first use in the order of {@link Accounts.resolve}
   * (without a name: `ANTHROPIC_OAUTH_ACCOUNT`, else the default account). An account that does
   * not exist then fails with `OAUTH_NOT_LOGGED_IN`, never falling back to another account. With
   * `server`, the config the tokens will be used with, an account recorded for another server
   * fails with a `TypeError` (`ERR_INVALID_ARG_VALUE`) before any token leaves the store.
   */
  store(name?: string, options: { server?: Pick<OAuthConfig, 'clientId' | 'tokenUrl' | 'issuer'>; env?: Readonly<Record<string, string | undefined>> } = {}): TokenStore {
    if (name !== undefined) assertAccountName(name)
    return new AccountTokenStore(name, async () => {
      const { name: chosen, account } = await this.resolve(name, options.env)
      if (account) {
        const mismatch = options.server && serverMismatch(account, options.server, this.#options.presets)
        if (mismatch) throw invalidArgument(ERR_INVALID_ARG_VALUE, mismatch)
        return this.open(account)
      }
      // The default account before any login: its file, as the single-login store always was.
      if (chosen === DEFAULT_ACCOUNT) return this.open({ name: DEFAULT_ACCOUNT, store: 'file' })
      throw await this.#unknown(chosen)
    })
  }

  async #unknown(name: string): Promise<OAuthFlowError> {
    const names = (await this.list()).accounts.map((a) => a.name)
    return new OAuthFlowError(
      OAUTH_NOT_LOGGED_IN,
      `No account named "${name}"${names.length ? ` (accounts: ${names.join(', ')})` : ''}. Log in to it with: anthropic-oauth login --account ${name}`,
    )
  }

  toJSON(): Record<string, unknown> {
    return { accounts: this.path }
  }

  readonly [INSPECT] = inspectSummary
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  )
}
