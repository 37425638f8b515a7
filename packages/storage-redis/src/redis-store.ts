import {
  createMutex,
  deserializeTokens,
  serializeTokens,
  TOKEN_STORE_LOCK_TIMEOUT,
  TOKEN_STORE_UNAVAILABLE,
  TokenStorageError,
  type OAuthTokens,
  type TokenStore,
} from '@oauth/core'

/** Sends one Redis command (`['SET', key, value]`) and resolves with its reply. */
export type RedisCommand = (args: string[]) => Promise<unknown>

/**
 * A Redis client this store can use: an `ioredis` client (`call`), a `node-redis` v4+
 * client (`sendCommand`), or your own command function. The store never creates,
 * configures or closes a connection; the client is yours.
 */
export type RedisClientLike =
  | { call(command: string, ...args: string[]): Promise<unknown> }
  | { sendCommand(args: string[]): Promise<unknown> }
  | RedisCommand

/** Options for {@link RedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /** The key holding the tokens. Default `oauth:tokens`; the lock is `<key>:lock`. */
  key?: string
  /** How long the lock lives without its holder renewing it (a holder that died). Default 15 s. */
  lockTtlMs?: number
  /** How long `lock()` waits for another holder. Default 30 s. */
  lockTimeoutMs?: number
}

// Release and renew only a lock this holder owns (compare-and-delete, compare-and-expire).
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"

function toCommand(client: RedisClientLike): RedisCommand {
  if (typeof client === 'function') return client
  if ('call' in client && typeof client.call === 'function') return ([command, ...args]) => client.call(command!, ...args)
  if ('sendCommand' in client && typeof client.sendCommand === 'function') return (args) => client.sendCommand(args)
  throw new TypeError('RedisTokenStore needs an ioredis client, a node-redis client, or a function that sends one command.')
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * A `TokenStore` in Redis, for services on several machines that share one login.
 * `lock(fn)` is `SET <key>:lock <random> NX PX <ttl>`, renewed while `fn` runs and released
 * only by its owner, so a holder that dies leaves a lock that expires.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis'
 * import { RedisTokenStore } from '@oauth/storage-redis'
 * const store = new RedisTokenStore(new Redis(process.env.REDIS_URL!), { key: 'my-app:oauth' })
 * ```
 */
export class RedisTokenStore implements TokenStore {
  readonly name: string
  readonly #send: RedisCommand
  readonly #key: string
  readonly #lockKey: string
  readonly #ttlMs: number
  readonly #timeoutMs: number
  readonly #exclusive = createMutex()

  constructor(client: RedisClientLike, options: RedisTokenStoreOptions = {}) {
    this.#send = toCommand(client)
    this.#key = options.key ?? 'oauth:tokens'
    this.#lockKey = `${this.#key}:lock`
    this.#ttlMs = options.lockTtlMs ?? 15_000
    this.#timeoutMs = options.lockTimeoutMs ?? 30_000
    this.name = `redis key ${this.#key}`
  }

  async #command(args: string[]): Promise<unknown> {
    try {
      return await this.#send(args)
    } catch (err) {
      throw new TokenStorageError(
        TOKEN_STORE_UNAVAILABLE,
        `Redis did not answer ${args[0]} for ${this.name}: ${(err as Error)?.message ?? err}. Check the connection (REDIS_URL) and that the server is up.`,
        { cause: err },
      )
    }
  }

  async load(): Promise<OAuthTokens | null> {
    const value = await this.#command(['GET', this.#key])
    if (value === null || value === undefined) return null
    return deserializeTokens(String(value), this.name)
  }

  async save(tokens: OAuthTokens): Promise<void> {
    await this.#command(['SET', this.#key, serializeTokens(tokens)])
  }

  async clear(): Promise<void> {
    await this.#command(['DEL', this.#key])
  }

  async exists(): Promise<boolean> {
    return Number(await this.#command(['EXISTS', this.#key])) === 1
  }

  lock<T>(fn: () => Promise<T>): Promise<T> {
    return this.#exclusive(() => this.#hold(fn))
  }

  async #hold<T>(fn: () => Promise<T>): Promise<T> {
    const token = randomToken()
    const deadline = Date.now() + this.#timeoutMs
    let delay = 5
    while ((await this.#command(['SET', this.#lockKey, token, 'NX', 'PX', String(this.#ttlMs)])) !== 'OK') {
      if (Date.now() > deadline) {
        throw new TokenStorageError(
          TOKEN_STORE_LOCK_TIMEOUT,
          `Waited ${this.#timeoutMs} ms for the lock ${this.#lockKey}. Another holder is refreshing or stuck; it expires within ${this.#ttlMs} ms of its holder's last renewal.`,
        )
      }
      await sleep(delay + Math.random() * delay)
      delay = Math.min(delay * 2, 100)
    }
    const renew = setInterval(() => {
      this.#command(['EVAL', RENEW, '1', this.#lockKey, token, String(this.#ttlMs)]).catch(() => undefined)
    }, this.#ttlMs / 3)
    ;(renew as { unref?: () => void }).unref?.()
    try {
      return await fn()
    } finally {
      clearInterval(renew)
      await this.#command(['EVAL', RELEASE, '1', this.#lockKey, token]).catch(() => undefined)
    }
  }

  toJSON(): Record<string, unknown> {
    return { store: 'redis', key: this.#key }
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `RedisTokenStore ${JSON.stringify(this.toJSON())}`
  }
}
