import { assertOptions, INSPECT, inspectSummary, ERR_INVALID_ARG_TYPE, invalidArgument, TOKEN_STORE_CORRUPT, TokenStorageError, toEpochMillis, type OAuthTokens, type TokenStore } from '@oauth/core'

/** An environment: `process.env`, a worker's `env` binding, or any record of strings. */
export type Env = Readonly<Record<string, string | undefined>>

function defaultEnv(): Env {
  // globalThis.process, not process: undefined in browsers and workers instead of a ReferenceError.
  const env = (globalThis as { process?: { env?: Env } }).process?.env
  if (!env) throw invalidArgument(ERR_INVALID_ARG_TYPE, 'No environment here: pass one, e.g. loadTokensFromEnv(env) with a worker env binding.')
  return env
}

/** Options for {@link EnvTokenStore}. */
export interface EnvTokenStoreOptions {
  /** The environment to read: a worker's `env` binding, or any record. Default `process.env`, read at each load. */
  env?: Env
}

/** The first access token set, in the order {@link loadTokensFromEnv} reads them. */
function accessTokenIn(env: Env): string | undefined {
  return env.ANTHROPIC_OAUTH_ACCESS_TOKEN?.trim() || env.ANTHROPIC_ACCESS_TOKEN?.trim() || env.CLAUDE_CODE_OAUTH_TOKEN?.trim() || undefined
}

/**
 * Reads tokens from the environment. The access token is the first of
 * `ANTHROPIC_OAUTH_ACCESS_TOKEN`, `ANTHROPIC_ACCESS_TOKEN` (the Python plan's names) and
 * `CLAUDE_CODE_OAUTH_TOKEN` (the long-lived token `claude setup-token` prints, as Claude Code
 * reads it) that is set; with it `ANTHROPIC_REFRESH_TOKEN` and `ANTHROPIC_TOKEN_EXPIRES_AT`
 * (epoch seconds or epoch milliseconds). Returns `null` when no access token is set.
 * A malformed expiry is a `TOKEN_STORE_CORRUPT` error naming the variable.
 *
 * @example
 * ```ts
 * import { loadTokensFromEnv } from '@oauth/storage-env'
 * const tokens = loadTokensFromEnv({ ANTHROPIC_OAUTH_ACCESS_TOKEN: 'sk-ant-oat01-…', ANTHROPIC_TOKEN_EXPIRES_AT: '1800000000' })
 * tokens?.expiresAt // 1_800_000_000_000
 * ```
 */
export function loadTokensFromEnv(env: Env = defaultEnv()): OAuthTokens | null {
  const accessToken = accessTokenIn(env)
  if (!accessToken) return null
  const tokens: OAuthTokens = { accessToken, tokenType: 'Bearer', scope: '' }
  const refreshToken = env.ANTHROPIC_REFRESH_TOKEN?.trim()
  if (refreshToken) tokens.refreshToken = refreshToken
  const expires = env.ANTHROPIC_TOKEN_EXPIRES_AT?.trim()
  if (expires) {
    const value = Number(expires)
    if (!/^\d+(\.\d+)?$/.test(expires) || !Number.isFinite(value)) {
      throw new TokenStorageError(
        TOKEN_STORE_CORRUPT,
        'ANTHROPIC_TOKEN_EXPIRES_AT must be epoch seconds or epoch milliseconds (digits only). Fix or unset it.',
      )
    }
    tokens.expiresAt = Math.round(toEpochMillis(value))
  }
  return tokens
}

/**
 * A read-only `TokenStore` over the environment. Tokens refreshed at run time stay in this
 * process's memory: it never writes the environment or the disk. With a rotating refresh
 * token, give each login to one process only (or use a shared store with a lock), since two
 * processes refreshing the same token revoke each other's login.
 *
 * @example
 * ```ts
 * import { EnvTokenStore } from '@oauth/storage-env'
 * const store = new EnvTokenStore({ env: { ANTHROPIC_ACCESS_TOKEN: 'sk-ant-oat01-…' } })
 * console.log(await store.exists()) // true
 * ```
 */
export class EnvTokenStore implements TokenStore {
  readonly name = 'environment (ANTHROPIC_OAUTH_ACCESS_TOKEN)'
  readonly savesInMemoryOnly = true
  readonly #env: Env | undefined
  #memory: OAuthTokens | null = null
  #cleared = false

  constructor(options: EnvTokenStoreOptions = {}) {
    assertOptions(options, 'EnvTokenStore', ['env'])
    this.#env = options.env
  }

  async load(): Promise<OAuthTokens | null> {
    if (this.#memory) return structuredClone(this.#memory)
    return this.#cleared ? null : loadTokensFromEnv(this.#env ?? defaultEnv())
  }

  /** Keeps `tokens` in memory for this process; the environment is not changed. */
  async save(tokens: OAuthTokens): Promise<void> {
    this.#memory = structuredClone(tokens)
  }

  /** Forgets the tokens for this process, including those the environment holds. */
  async clear(): Promise<void> {
    this.#memory = null
    this.#cleared = true
  }

  /** Whether a login is held: refreshed in memory, or an access token set in the environment (even one beside a malformed expiry). */
  async exists(): Promise<boolean> {
    if (this.#memory) return true
    if (this.#cleared) return false
    return accessTokenIn(this.#env ?? defaultEnv()) !== undefined
  }

  toJSON(): Record<string, unknown> {
    return { store: 'env', refreshedInMemory: this.#memory !== null }
  }

  readonly [INSPECT] = inspectSummary
}
