import { stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { DEFAULT_CLIENT_ID, ERR_INVALID_ARG_VALUE, invalidArgument, type StoreLockOptions } from '@oauth/core'
import { ensureDirectory, writeFileAtomic } from './atomic-write.js'
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
    const profile = options.profile ?? 'default'
    if (typeof profile !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(profile) || profile === '.' || profile === '..') {
      throw invalidArgument(ERR_INVALID_ARG_VALUE, `Profile name "${String(profile)}" is not allowed: use letters, digits, '_', '.' and '-'.`)
    }
    const env = process.env
    const configDir =
      options.configDir ?? env.ANTHROPIC_CONFIG_DIR ?? (env.XDG_CONFIG_HOME ? join(env.XDG_CONFIG_HOME, 'anthropic') : join(homedir(), '.config', 'anthropic'))
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
