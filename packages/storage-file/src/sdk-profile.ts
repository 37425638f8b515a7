import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { assertOptions, ERR_INVALID_ARG_VALUE, invalidArgument, TOKEN_STORE_CORRUPT, TOKEN_STORE_WRITE_FAILED, TokenStorageError, type OAuthTokens, type StoreLockOptions } from '@oauth/core'
import { ensureDirectory, writeFileAtomic } from './atomic-write.js'
import { errno } from './errno.js'
import { FileTokenStore } from './file-store.js'

/** Options for {@link SdkProfileTokenStore}. */
export interface SdkProfileTokenStoreOptions {
  /** The profile's name: letters, digits, `_`, `.` and `-`. Default `default`. */
  profile?: string
  /** Default: `ANTHROPIC_CONFIG_DIR`, else `$XDG_CONFIG_HOME/anthropic`, else `~/.config/anthropic` (as the SDK). */
  configDir?: string
  /**
   * The OAuth client the SDK refreshes with, written to a new profile's config (`client_id`):
   * `ANTHROPIC_CLI_CLIENT_ID` or the subscription preset's `DEFAULT_CLIENT_ID` (`@oauth/anthropic`).
   * Without it the config names no client, and the SDK uses the token as it is, never refreshing it.
   */
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
    const authentication = { type: 'user_oauth', ...(options.clientId ? { client_id: options.clientId } : {}) }
    this.#config = { version: '1.0', authentication, ...(options.baseUrl ? { base_url: options.baseUrl } : {}) }
  }

  /**
   * The SDK's credentials file says what it is, and carries who the token belongs to in the flat
   * fields the SDK (`AnthropicCredentials` in @anthropic-ai/sdk 1.17.0 src/core/credentials.ts)
   * and Anthropic's CLI (`config.Credentials`, written by `ant auth login`) read:
   * `organization_uuid`, `organization_name`, `account_email`, `workspace_id`, `workspace_name`.
   */
  protected override writtenFields(tokens: OAuthTokens): Readonly<Record<string, unknown>> {
    return {
      ...SDK_CREDENTIALS_FIELDS,
      organization_uuid: tokens.organization?.uuid,
      organization_name: tokens.organization?.name,
      account_email: tokens.account?.emailAddress,
      workspace_id: tokens.workspace?.id,
      workspace_name: tokens.workspace?.name,
    }
  }

  /**
   * The profile's config (`configs/<profile>.json`) as JSON, or `null` when there is none. One
   * that cannot be read or parsed is `TOKEN_STORE_CORRUPT` naming the path, left as it is: the
   * client it names decides where the refresh token goes, so it is never guessed.
   */
  async readProfileConfig(): Promise<Record<string, unknown> | null> {
    let text: string
    try {
      text = await readFile(this.configPath, 'utf8')
    } catch (err) {
      if (errno(err) === 'ENOENT') return null
      throw new TokenStorageError(TOKEN_STORE_CORRUPT, `Cannot read the SDK profile's config ${this.configPath} (${errno(err)}). It was left as it is.`, { cause: err })
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new TokenStorageError(TOKEN_STORE_CORRUPT, `The SDK profile's config ${this.configPath} is not a JSON object. It was left as it is: fix or remove it.`)
    }
    return json as Record<string, unknown>
  }

  /** `expires_at` in whole seconds, as the SDK and Anthropic's CLI write it. */
  protected override serialize(tokens: OAuthTokens, keep: Readonly<Record<string, unknown>>): string {
    return super.serialize(tokens.expiresAt === undefined ? tokens : { ...tokens, expiresAt: Math.floor(tokens.expiresAt / 1000) * 1000 }, keep)
  }

  /**
   * Writes the profile's config if it is missing, so that the SDK finds the profile, with the
   * organization and workspace the first login was bound to. An existing config is never
   * rewritten: it is the user's intent (cmd_auth.go writes `configs/<profile>.json` only for a
   * new profile).
   */
  protected override async prepareSave(tokens: OAuthTokens): Promise<void> {
    if (await stat(this.configPath).then(() => true, () => false)) return
    await ensureDirectory(dirname(this.configPath))
    const bound = { ...(tokens.organization ? { organization_id: tokens.organization.uuid } : {}), ...(tokens.workspace ? { workspace_id: tokens.workspace.id } : {}) }
    await writeFileAtomic(this.configPath, `${JSON.stringify({ ...this.#config, ...bound }, null, 2)}\n`)
  }
}

const SDK_CREDENTIALS_FIELDS = { version: '1.0', type: 'oauth_token' } as const

/**
 * The profile the SDK and Anthropic's CLI use when none is named: `ANTHROPIC_PROFILE`, else the
 * name in `<config dir>/active_config`, else `default` (`activeProfileWithSource` in
 * anthropics/anthropic-cli cmd_auth.go, after its `--profile` flag).
 */
export async function activeSdkProfile(options: { configDir?: string; env?: Readonly<Record<string, string | undefined>> } = {}): Promise<string> {
  const named = (options.env ?? process.env).ANTHROPIC_PROFILE
  if (named) return named
  const active = await readFile(join(sdkConfigDir(options.configDir), 'active_config'), 'utf8').then(
    (text) => text.trim(),
    () => '',
  )
  return PROFILE_NAME.test(active) ? active : 'default'
}

/**
 * Makes `profile` the active one (`<config dir>/active_config`), as `ant auth login` does: always
 * when the profile was named, otherwise only when no profile is active yet (`onlyIfUnset`).
 * Returns the profile that was active before, or `null`.
 */
export async function setActiveSdkProfile(profile: string, options: { configDir?: string; onlyIfUnset?: boolean } = {}): Promise<{ changed: boolean; previous: string | null }> {
  assertProfileName(profile)
  const path = join(sdkConfigDir(options.configDir), 'active_config')
  const previous = await readFile(path, 'utf8').then(
    (text) => text.trim() || null,
    () => null,
  )
  if (previous === profile || (options.onlyIfUnset && previous !== null)) return { changed: false, previous }
  await ensureDirectory(dirname(path))
  await writeFileAtomic(path, `${profile}\n`)
  return { changed: true, previous }
}

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
