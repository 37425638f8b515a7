import { rm, stat, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { assertOptions, DEFAULT_CLIENT_ID, ERR_INVALID_ARG_VALUE, invalidArgument, TOKEN_STORE_WRITE_FAILED, TokenStorageError, type StoreLockOptions } from '@oauth/core'
import { ensureDirectory, writeFileAtomic } from './atomic-write.js'
import { errno } from './errno.js'
import { FileTokenStore } from './file-store.js'

/** Options for {@link SdkProfileTokenStore}. */
export interface SdkProfileTokenStoreOptions {
  /** The profile's name: letters, digits, `_`, `.` and `-`. Default `default`. */
  profile?: string
  /** Default: `ANTHROPIC_CONFIG_DIR`, else `$XDG_CONFIG_HOME/anthropic`, else `~/.config/anthropic` (as the SDK). */
  configDir?: string
  /** The OAuth client the SDK refreshes with. Default: the Anthropic preset's. */
  clientId?: string
  /** The API base URL the profile points at, if not the default. */
  baseUrl?: string
  /** The lock, as for {@link FileTokenStore}. */
  lock?: StoreLockOptions
}

/** The Anthropic SDK's config folder: `ANTHROPIC_CONFIG_DIR`, else `$XDG_CONFIG_HOME/anthropic`, else `~/.config/anthropic`. */
function sdkConfigDir(configDir?: string): string {
  const env = process.env
  return configDir ?? env.ANTHROPIC_CONFIG_DIR ?? (env.XDG_CONFIG_HOME ? join(env.XDG_CONFIG_HOME, 'anthropic') : join(homedir(), '.config', 'anthropic'))
}

const PROFILE_NAME = /^[A-Za-z0-9_.-]+$/
function assertProfileName(profile: unknown): asserts profile is string {
  if (typeof profile !== 'string' || !PROFILE_NAME.test(profile) || profile === '.' || profile === '..') {
    throw invalidArgument(ERR_INVALID_ARG_VALUE, `Profile name "${String(profile)}" is not allowed: use letters, digits, '_', '.' and '-'.`)
  }
}

/**
 * A {@link FileTokenStore} in the Anthropic SDK's own profile layout: tokens in
 * `<config dir>/credentials/<profile>.json` (`expires_at` in epoch seconds, with the SDK's
 * `version` and `type` fields) and, created if missing, `<config dir>/configs/<profile>.json`
 * saying `user_oauth`. After a login, plain `new Anthropic({ profile })` works too. (The SDK's
 * own refresh does not take this store's lock; let one of the two refresh a given profile.)
 *
 * @example
 * ```ts
 * import { SdkProfileTokenStore } from '@oauth/storage-file'
 * const store = new SdkProfileTokenStore({ profile: 'default' })
 * console.log(store.path) // ~/.config/anthropic/credentials/default.json
 * ```
 */
export class SdkProfileTokenStore extends FileTokenStore {
  /** The profile's config file, written before the first save if it is missing. */
  readonly configPath: string
  readonly #config: Readonly<Record<string, unknown>>

  constructor(options: SdkProfileTokenStoreOptions = {}) {
    assertOptions(options, 'SdkProfileTokenStore', ['profile', 'configDir', 'clientId', 'baseUrl', 'lock'])
    const profile = options.profile ?? 'default'
    assertProfileName(profile)
    const configDir = sdkConfigDir(options.configDir)
    super({ path: join(configDir, 'credentials', `${profile}.json`), lock: options.lock })
    this.configPath = join(configDir, 'configs', `${profile}.json`)
    const authentication = { type: 'user_oauth', client_id: options.clientId ?? DEFAULT_CLIENT_ID }
    this.#config = { version: '1.0', authentication, ...(options.baseUrl ? { base_url: options.baseUrl } : {}) }
  }

  /** The SDK's credentials file says what it is. */
  protected override writtenFields(): Readonly<Record<string, unknown>> {
    return SDK_CREDENTIALS_FIELDS
  }

  /** Writes the profile's config if it is missing, so that the SDK finds the profile. */
  protected override async prepareSave(): Promise<void> {
    if (await stat(this.configPath).then(() => true, () => false)) return
    await ensureDirectory(dirname(this.configPath))
    await writeFileAtomic(this.configPath, `${JSON.stringify(this.#config, null, 2)}\n`)
  }
}

const SDK_CREDENTIALS_FIELDS = { version: '1.0', type: 'oauth_token' } as const

/** Options for {@link saveApiKeyProfile}. */
export interface ApiKeyProfileOptions {
  profile: string
  /** As for {@link SdkProfileTokenStore}. */
  configDir?: string
  /** The API base URL the profile points at, if not the default. */
  baseUrl?: string
}

/**
 * Writes an Anthropic SDK profile that holds an API key, so that plain
 * `new Anthropic({ profile })` uses it: `configs/<profile>.json` with `user_oauth` and no
 * `client_id`, which the SDK treats as a static token that it never refreshes, and
 * `credentials/<profile>.json` (0600) with the key as `access_token` and no expiry
 * (@anthropic-ai/sdk 1.12.0, `userOAuthProvider`: "If `clientId` is empty, the access token
 * is treated as static"). The SDK sends it as `Authorization: Bearer`, as it sends an `apiKey`.
 * SDK profiles have no API-key type of their own (1.12.0 and 1.13.0 know `oidc_federation`
 * and `user_oauth` only). An existing profile is never replaced: call {@link checkApiKeyProfile}
 * first, before the key is created.
 *
 * @example
 * ```ts
 * import { saveApiKeyProfile } from '@oauth/storage-file'
 * await saveApiKeyProfile('sk-ant-api03-…', { profile: 'ci', configDir: '/tmp/oauth-example/anthropic' })
 * ```
 */
export async function saveApiKeyProfile(apiKey: string, options: ApiKeyProfileOptions): Promise<{ configPath: string; credentialsPath: string }> {
  const paths = await checkApiKeyProfile(options)
  await ensureDirectory(dirname(paths.credentialsPath))
  await ensureDirectory(dirname(paths.configPath))
  await writeFileAtomic(paths.credentialsPath, `${JSON.stringify({ version: '1.0', type: 'oauth_token', access_token: apiKey }, null, 2)}\n`)
  const config = { version: '1.0', authentication: { type: 'user_oauth' }, ...(options.baseUrl ? { base_url: options.baseUrl } : {}) }
  await writeFileAtomic(paths.configPath, `${JSON.stringify(config, null, 2)}\n`)
  return paths
}

/**
 * Where {@link saveApiKeyProfile} writes, checked before a key is made: a `TypeError` when that
 * profile exists already (it is never replaced), and `TOKEN_STORE_WRITE_FAILED` (or
 * `TOKEN_STORE_READ_ONLY`) when its folders cannot be made or written to.
 */
export async function checkApiKeyProfile(options: ApiKeyProfileOptions): Promise<{ configPath: string; credentialsPath: string }> {
  assertProfileName(options.profile)
  const dir = sdkConfigDir(options.configDir)
  const paths = { configPath: join(dir, 'configs', `${options.profile}.json`), credentialsPath: join(dir, 'credentials', `${options.profile}.json`) }
  for (const path of Object.values(paths)) {
    if (await stat(path).then(() => true, () => false)) {
      throw invalidArgument(ERR_INVALID_ARG_VALUE, `The SDK profile "${options.profile}" exists already (${path}); it is not replaced. Choose another --profile, or remove it.`)
    }
  }
  // The folders are made now and a file is written in each: a key is never made that cannot be saved.
  for (const path of Object.values(paths)) {
    const dir = dirname(path)
    await ensureDirectory(dir)
    const probe = join(dir, `.probe-${process.pid}-${Date.now()}`)
    try {
      await writeFile(probe, '', { mode: 0o600 })
    } catch (err) {
      throw new TokenStorageError(TOKEN_STORE_WRITE_FAILED, `Cannot write the SDK profile "${options.profile}" in ${dir} (${errno(err)}). Nothing was created.`, { cause: err })
    } finally {
      await rm(probe, { force: true })
    }
  }
  return paths
}
