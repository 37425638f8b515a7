import { constants, readFileSync } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { ANTHROPIC_ACCOUNT_PRESETS, ANTHROPIC_CLI_CLIENT_ID, ANTHROPIC_OAUTH_CONFIG, anthropicCliConfig, anthropicPresetFromEnv, DEFAULT_CLIENT_ID, type AnthropicOverride } from '@oauth/anthropic/presets'
import { TOKEN_STORE_WRITE_FAILED, TokenStorageError, type OAuthConfig, type OAuthTokens, type TokenStore } from '@oauth/core'
import {
  Accounts,
  assertAccountName,
  FileTokenStore,
  SdkProfileTokenStore,
  serverMismatch,
  type Account,
  type AccountServer,
  type AccountStoreKind,
  type KeychainStoreFactory,
} from '@oauth/storage-file'

export const STORE_HELP = `Store options:
  --account <name>                 a named login (see \`anthropic-oauth accounts\`; also
                                   ANTHROPIC_OAUTH_ACCOUNT=<name>); default: the default account
  --store <file|keychain|profile>  where the login lives (default: file, or where the account is kept)
  --path <file>                    one token file instead of the accounts (default: ~/.anthropic/oauth_tokens.json)
  --profile <name>                 an Anthropic SDK profile (implies --store profile; with
                                   --store profile alone, the account's name)
  --config <file.json>             an OAuthConfig for another OAuth server (default: the Anthropic preset;
                                   also ANTHROPIC_OAUTH_CONFIG_FILE=<file.json>). It may give only
                                   "issuer" and "clientId" (and "clientSecret", "scopes"…): the
                                   endpoints are then discovered. "baseUrl" is the API the login is
                                   for, written to SDK profiles with --store profile
  --issuer <url>                   another OAuth server, found by discovery (RFC 8414 / OpenID
    --client-id <id>               Connect), instead of --config; a public client
  --scopes <list>                  with --issuer: the scopes to ask for (space-separated)`

export const STORE_OPTIONS = {
  account: { type: 'string' },
  store: { type: 'string' },
  path: { type: 'string' },
  profile: { type: 'string' },
  config: { type: 'string' },
  issuer: { type: 'string' },
  'client-id': { type: 'string' },
  scopes: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/**
 * The CLI's view of a server: an OAuthConfig, plus the API base URL a login is for (written to
 * SDK profiles as `base_url`). Read from `--config`, or discovered from `--issuer`.
 */
export interface CliConfig extends OAuthConfig {
  baseUrl?: string
}

export class UsageError extends Error {}

export interface StoreValues {
  account?: string
  store?: string
  path?: string
  profile?: string
}

/** The login a command works on: its store and, unless `--path` named one file, its account. */
export interface Target {
  store: TokenStore
  /** The account (name, where it is kept, and the server its login recorded); absent with `--path`. */
  account?: Pick<Account, 'name' | 'store' | 'server'>
  accounts?: Accounts
}

const KINDS = ['file', 'keychain', 'profile']

// The keychain is loaded only when asked for: a native binding that cannot load must not
// break the file store. It keeps the tokens; a file store's lock keeps processes from
// refreshing at once.
export async function keychainFactory(): Promise<KeychainStoreFactory> {
  const { KeychainTokenStore } = await import('@oauth/storage-keychain')
  return (options) => new KeychainTokenStore(options)
}

/**
 * Finds the login a command works on. `--path` names one token file, as before accounts.
 * Otherwise the account is `--account`, `ANTHROPIC_OAUTH_ACCOUNT` or the default one; an
 * account named but not found is an error (`OAUTH_NOT_LOGGED_IN`), never another account.
 * `login` (`forLogin`) may name a new account; its store is `--store` (default file).
 */
export async function storeFrom(values: StoreValues, env: NodeJS.ProcessEnv, options: { forLogin?: boolean; config?: CliConfig } = {}): Promise<Target> {
  if (values.store !== undefined && !KINDS.includes(values.store)) throw new UsageError(`Unknown store "${values.store}": use file, keychain or profile.`)
  // `--profile <name>` alone names an SDK profile: the store is the profile store.
  const kind = (values.store ?? (values.profile !== undefined ? 'profile' : undefined)) as AccountStoreKind | undefined
  if (values.path !== undefined) {
    if (values.account !== undefined) throw new UsageError('--path and --account cannot be combined: each account has its own file.')
    if (kind === 'profile') return { store: new SdkProfileTokenStore({ profile: values.profile, ...profileClient(options.config, env) }) }
    const file = new FileTokenStore({ path: values.path })
    if (kind === 'keychain') return { store: new (await import('@oauth/storage-keychain')).KeychainTokenStore({ lock: { using: file } }) }
    return { store: file }
  }
  if (values.account !== undefined && values.profile !== undefined && values.account !== values.profile) {
    throw new UsageError(`--account ${values.account} and --profile ${values.profile} disagree: a profile account's name is its profile's.`)
  }
  const named = values.account ?? (kind === 'profile' ? values.profile : undefined) ?? (env.ANTHROPIC_OAUTH_ACCOUNT || undefined)
  const profile = profileClient(options.config, env)
  if (named !== undefined) assertAccountName(named)
  const lookup = new Accounts({ profile, presets: ANTHROPIC_ACCOUNT_PRESETS })
  // The one order the client follows too (Accounts.resolve): the name, ANTHROPIC_OAUTH_ACCOUNT, the default account.
  const { name: chosen, account: found } = await lookup.resolve(named, env)
  if (found && kind && found.store !== kind) {
    throw new UsageError(`Account "${found.name}" is kept in the ${found.store} store, not ${kind}. Leave out --store, or log it out first to move it.`)
  }
  const name = chosen
  // A name nobody logged in to is a new account for login, and for the other commands an
  // error, unless the store was named outright (an SDK profile made before accounts, say).
  if (!found && !options.forLogin && named !== undefined && kind === undefined) {
    return { store: lookup.store(name), account: undefined, accounts: lookup }
  }
  const account = { name, store: found?.store ?? kind ?? 'file', ...(found?.server ? { server: found.server } : {}) }
  const accounts = account.store === 'keychain' ? new Accounts({ profile, presets: ANTHROPIC_ACCOUNT_PRESETS, keychain: await keychainFactory() }) : lookup
  return { store: accounts.open(account), account, accounts }
}

/**
 * What an SDK profile written by a login names: the config's client (the SDK refreshes with it)
 * and the API it is for, the config's `baseUrl` or `ANTHROPIC_BASE_URL`.
 */
function profileClient(config: CliConfig | undefined, env: NodeJS.ProcessEnv): { clientId: string; baseUrl?: string } {
  return { clientId: (config ?? ANTHROPIC_OAUTH_CONFIG).clientId, baseUrl: config?.baseUrl ?? apiBaseUrl(env) }
}

/**
 * Token requests and account calls through the environment's proxy (HTTPS_PROXY, HTTP_PROXY,
 * NO_PROXY), as curl's. `@oauth/client` (and the SDK it brings) is loaded only when a proxy is
 * set: without one, its `proxyFetch` is the global fetch anyway.
 */
export async function requestOptions(env: NodeJS.ProcessEnv): Promise<{ fetch?: typeof fetch; timeoutMs?: number }> {
  const timeoutMs = timeoutFrom(env)
  const timeout = timeoutMs === undefined ? {} : { timeoutMs }
  if (!Object.keys(env).some((name) => /^https?_proxy$/i.test(name) && env[name])) return timeout
  const { proxyFetch } = await import('@oauth/client')
  return { fetch: proxyFetch(env), ...timeout }
}

/** `ANTHROPIC_OAUTH_TIMEOUT_MS`: how long a request to the server may take (default 30 s). */
function timeoutFrom(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.ANTHROPIC_OAUTH_TIMEOUT_MS
  if (raw === undefined || raw === '') return undefined
  const ms = Number(raw)
  if (!Number.isInteger(ms) || ms <= 0 || ms > 600_000) throw new UsageError(`ANTHROPIC_OAUTH_TIMEOUT_MS must be a whole number of milliseconds from 1 to 600000, not "${raw.slice(0, 40)}".`)
  return ms
}

/** Whether a config is Anthropic's (its client), so that the Anthropic account endpoints apply. */
export function isAnthropic(config: OAuthConfig): boolean {
  return config.clientId === DEFAULT_CLIENT_ID
}

/** The API host for the Anthropic account endpoints: `ANTHROPIC_BASE_URL`, as the SDK reads it. */
export function apiBaseUrl(env: NodeJS.ProcessEnv): string | undefined {
  return env.ANTHROPIC_BASE_URL || undefined
}

/**
 * The server a command talks to: `--issuer` (discovered, with `--client-id`), else `--config` or
 * `ANTHROPIC_OAUTH_CONFIG_FILE` (a config that gives an `issuer` and no `tokenUrl` is completed by
 * discovery), else none (the Anthropic preset). Discovery goes through the environment's proxy.
 */
export async function configFrom(
  values: { config?: string; issuer?: string; 'client-id'?: string; scopes?: string },
  env: NodeJS.ProcessEnv,
  options: { discover?: boolean } = {},
): Promise<CliConfig | undefined> {
  const path = values.config ?? (values.issuer ? undefined : env.ANTHROPIC_OAUTH_CONFIG_FILE)
  if (values.issuer && values.config) throw new UsageError('--issuer and --config cannot be combined: put "issuer" in the config file instead.')
  let config: Partial<CliConfig> | undefined
  if (path) {
    try {
      config = JSON.parse(readFileSync(path, 'utf8')) as CliConfig
    } catch (err) {
      throw new UsageError(`Cannot read the OAuth config ${path}: ${(err as Error).message}`)
    }
  } else if (values.issuer) {
    if (!values['client-id']) throw new UsageError('--issuer needs --client-id: the server does not say which client you are.')
    config = { issuer: values.issuer, clientId: values['client-id'], ...(values.scopes ? { scopes: values.scopes } : {}) }
  }
  if (!config) return undefined
  // Offline (`status --offline`, `logout --local`): the config only says which server is meant.
  if (config.tokenUrl || !config.issuer || options.discover === false) return config as CliConfig
  const { discoverOAuthConfig } = await import('@oauth/http')
  const { issuer, baseUrl: _, ...settings } = config
  const discovered = await discoverOAuthConfig(issuer, { ...settings, clientId: settings.clientId!, ...(await requestOptions(env)) })
  return { ...discovered, ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}) }
}

/**
 * Checks, before a login spends its code, that the store can be read (a corrupt or unreadable
 * login is reported now, with its path) and, for a file, that its folder can be written.
 */
export async function assertCanSave(store: TokenStore): Promise<OAuthTokens | null> {
  const previous = await store.load()
  if (!(store instanceof FileTokenStore)) return previous
  // The nearest folder that exists must be a writable folder: the store creates the rest.
  let dir = dirname(store.path)
  for (;;) {
    const info = await stat(dir).catch(() => undefined)
    if (info || dir === dirname(dir)) {
      const ok = info?.isDirectory() && (await access(dir, constants.W_OK).then(() => true, () => false))
      if (!ok) {
        throw new TokenStorageError(TOKEN_STORE_WRITE_FAILED, `Cannot save a login to ${store.path}: ${dir} is not a writable folder. Choose another --path; nothing was sent.`)
      }
      return previous
    }
    dir = dirname(dir)
  }
}

/** A command's login and the server it belongs to. */
export interface Login extends Target {
  /** The server: the one named, else the one the account's login recorded, else the Anthropic preset as the environment moves it. */
  config: CliConfig
  /** Whether the server is the subscription preset (with or without overrides). */
  preset: boolean
  /** The preset's values the environment set (`anthropicPresetFromEnv`), for `status` to show. */
  overrides: AnthropicOverride[]
  /** The config file named (`--config` or `ANTHROPIC_OAUTH_CONFIG_FILE`), to record with a confidential client's login. */
  configFile?: string
}

/**
 * The login a command works on (see {@link storeFrom}) and its server, in one step. Offline
 * (`offline: true`) nothing is sent: a config that would need discovery only says which server
 * is meant. A server named for an account whose login recorded another is refused, except by
 * `login` (a new login replaces the old one): tokens are never sent to another server.
 */
export async function loginFrom(values: StoreValues & { config?: string; issuer?: string; 'client-id'?: string; scopes?: string }, env: NodeJS.ProcessEnv, options: { forLogin?: boolean; offline?: boolean } = {}): Promise<Login> {
  const explicit = await configFrom(values, env, { discover: !options.offline })
  const target = await storeFrom(values, env, { forLogin: options.forLogin, config: explicit })
  const configFile = values.config ?? (values.issuer ? undefined : env.ANTHROPIC_OAUTH_CONFIG_FILE)
  const server = await serverFor(target, explicit, { ...options, env })
  const moved = server ? undefined : anthropicPresetFromEnv(env)
  return { ...target, config: server ?? moved!.config, preset: !server, overrides: moved?.overrides ?? [], ...(configFile ? { configFile: resolve(configFile) } : {}) }
}

/**
 * The server of a login: the one named (checked against the recorded one), else the recorded one,
 * else, for an SDK profile, the client its config names (a profile `ant auth login` made is
 * refreshed as Anthropic's CLI refreshes it), else the Anthropic preset.
 */
export async function serverFor(target: Target, explicit: CliConfig | undefined, options: { forLogin?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<CliConfig | undefined> {
  const recorded = target.account?.server
  if (explicit) {
    const mismatch = !options.forLogin && target.account && serverMismatch(target.account, explicit, ANTHROPIC_ACCOUNT_PRESETS)
    if (mismatch) throw new UsageError(mismatch)
    return explicit
  }
  if (recorded && !('preset' in recorded)) return { ...recorded.config, ...secretsOf(recorded, target.account!.name) } as CliConfig
  if (!recorded && target.store instanceof SdkProfileTokenStore) return profileServer(await target.store.readProfileConfig(), options.env ?? {})
  return undefined
}

/** The server an SDK profile's config names: Anthropic's CLI client with its hosts, or none (the preset). */
function profileServer(profile: Record<string, unknown> | null, env: NodeJS.ProcessEnv): CliConfig | undefined {
  const auth = profile?.authentication as { client_id?: unknown; console_url?: unknown } | undefined
  const client = auth?.client_id
  // The preset's own profiles (`--store profile`), and SDK profiles without a client (static tokens).
  if (client === undefined || client === '' || client === DEFAULT_CLIENT_ID) return undefined
  if (client !== ANTHROPIC_CLI_CLIENT_ID) {
    throw new UsageError(`The SDK profile names the OAuth client ${String(client).slice(0, 60)}, which is neither Anthropic's CLI nor the subscription preset: pass its server with --config, so its refresh token goes nowhere else.`)
  }
  const baseUrl = typeof profile!.base_url === 'string' ? profile!.base_url : undefined
  // The Console as `ant` resolves it: ANTHROPIC_CONSOLE_URL, else the profile's, else the public one.
  const consoleUrl = env.ANTHROPIC_CONSOLE_URL || (typeof auth?.console_url === 'string' ? auth.console_url : undefined)
  return { ...anthropicCliConfig({ baseUrl, consoleUrl }), ...(baseUrl ? { baseUrl } : {}) }
}

/** A confidential client's secret or key, read again from the config file its login named (the account list never holds them). */
function secretsOf(server: Extract<AccountServer, { config: unknown }>, account: string): Pick<CliConfig, 'clientSecret' | 'clientPrivateKey'> {
  if (!server.configFile) return {}
  let file: Partial<CliConfig>
  try {
    file = JSON.parse(readFileSync(server.configFile, 'utf8')) as Partial<CliConfig>
  } catch (err) {
    throw new UsageError(`Account "${account}" was logged in with the config ${server.configFile}, which holds its client's secret, and it cannot be read: ${(err as Error).message}`)
  }
  if (file.clientId !== server.config.clientId) return {}
  return { ...(file.clientSecret ? { clientSecret: file.clientSecret } : {}), ...(file.clientPrivateKey ? { clientPrivateKey: file.clientPrivateKey } : {}) }
}

/** What a login records as its server: the preset, or the config without secrets (and the file holding them, if any). */
export function serverRecord(login: Pick<Login, 'config' | 'configFile'> & { preset?: boolean }): AccountServer {
  // The preset is recorded as the preset: its current values (and overrides) apply later.
  if (!login.config || login.preset) return { preset: 'anthropic' }
  const secret = login.config.clientSecret !== undefined || login.config.clientPrivateKey !== undefined
  return { config: login.config, ...(secret && login.configFile ? { configFile: login.configFile } : {}) }
}
