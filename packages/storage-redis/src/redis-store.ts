import { AsyncLocalStorage } from 'node:async_hooks'
import {
  assertOptions,
  INSPECT,
  inspectSummary,
  createHoldings,
  createMutex,
  ERR_INVALID_ARG_TYPE,
  invalidArgument,
  deserializeTokens,
  pollUntil,
  serializeTokens,
  TOKEN_STORE_LOCK_LOST,
  TOKEN_STORE_LOCK_REENTERED,
  TOKEN_STORE_LOCK_TIMEOUT,
  TOKEN_STORE_UNAVAILABLE,
  TokenStorageError,
  type LockLease,
  type OAuthTokens,
  type StoreLockOptions,
  type TokenStore,
  type TokenStoreChange,
} from '@oauth/core'
import { changesFor } from './changes.js'

// One async context for every store of this module (see createMutex's `context`): the mutexes
// tell re-entry by it, and each store finds what its lock holder holds.
const MUTEX_CONTEXT = new AsyncLocalStorage()
const HELD = createHoldings<Held>(new AsyncLocalStorage())

let instances = 0

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
  /** The connection: an ioredis client, a node-redis client, or a function that sends one command. */
  client: RedisClientLike
  /**
   * The key holding the tokens. Default `oauth:tokens`; the lock is `<key>:lock`, and a refresh
   * on the wire is marked in `<key>:refreshing`. On Redis Cluster give it a hash tag
   * (`{my-app}:oauth`), so that the fenced save, which reads the lock and the mark and writes
   * the tokens in one script, finds all three keys in one slot.
   */
  key?: string
  /**
   * The lock. `timeoutMs`: how long `lock()` waits for another holder (default 30 s).
   * `staleMs`: how long the lock lives without its holder renewing it, its key's TTL (a holder
   * that died, or one paused this long; default 15 s). A holder that lost it is stopped: see
   * `TokenStore.lock`.
   */
  lock?: StoreLockOptions
}

// KEYS: the lock, the tokens, the mark (`<key>:refreshing`: the lock token of a holder that
// confirmed its lock just before sending a refresh, and has saved nothing since).
// Take the lock, or find it already this holder's: a client that resends a command whose reply
// was lost (ioredis after a reconnect) must not find its own lock taken and wait it out.
const ACQUIRE = "if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end if redis.call('get', KEYS[1]) == ARGV[1] then return 1 end return 0"
// Release and renew only a lock this holder owns (compare-and-delete, compare-and-expire); the
// release also drops this holder's mark (its refresh failed, or it sent none), the renewal keeps
// it for twice the lock's life.
const RELEASE =
  "if redis.call('get', KEYS[3]) == ARGV[1] then redis.call('del', KEYS[3]) end if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
const RENEW =
  "if redis.call('get', KEYS[1]) == ARGV[1] then if redis.call('get', KEYS[3]) == ARGV[1] then redis.call('pexpire', KEYS[3], 2 * tonumber(ARGV[2])) end return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
// Before a refresh is sent: the lock is still this holder's, and no other holder's refresh is
// unsaved (its mark). Then this holder's mark, for twice the lock's life.
const CONFIRM =
  "if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end local m = redis.call('get', KEYS[3]) if m and m ~= ARGV[1] then return -1 end redis.call('set', KEYS[3], ARGV[1], 'PX', 2 * tonumber(ARGV[2])) return 1"
// Fenced writes: only while the lock is still this holder's, or, once it lapsed, while its mark
// is (a refresh it sent: nobody else has sent one or written the tokens since). Every write drops
// the mark and tells the other holders on `<key>:changes` (ARGV[3], ARGV[4]).
const FENCE = "(redis.call('get', KEYS[1]) == ARGV[1] or redis.call('get', KEYS[3]) == ARGV[1])"
const FENCED_SET = `if ${FENCE} then redis.call('set', KEYS[2], ARGV[2]) redis.call('del', KEYS[3]) redis.call('publish', ARGV[3], ARGV[4]) return 1 else return 0 end`
const FENCED_DEL = `if ${FENCE} then redis.call('del', KEYS[2], KEYS[3]) redis.call('publish', ARGV[3], ARGV[4]) return 1 else return 0 end`
const SET = "redis.call('set', KEYS[2], ARGV[2]) redis.call('del', KEYS[3]) redis.call('publish', ARGV[3], ARGV[4]) return 1"
const DEL = "redis.call('del', KEYS[3]) if redis.call('del', KEYS[2]) == 1 then redis.call('publish', ARGV[3], ARGV[4]) end return 1"

/** What a holder knows while it holds the lock. */
interface Held {
  token: string
  lease: LockLease
  lose(): never
}

/**
 * The client's error without what it carries about the command: ioredis's `ReplyError` keeps
 * the command and its arguments (the serialised tokens) in `command`, so it is never kept as
 * a cause. Its message is kept, with any argument of the command cut out of it.
 */
function withoutArguments(err: unknown, args: readonly string[]): Error {
  let message = err instanceof Error ? err.message : String(err)
  for (const arg of args.slice(1)) if (arg.length >= 8) message = message.split(arg).join('[redacted]')
  const safe = new Error(message)
  safe.name = err instanceof Error ? err.name : 'Error'
  return safe
}

function toCommand(client: RedisClientLike | undefined): RedisCommand {
  if (typeof client === 'function') return client
  if (typeof client !== 'object' || client === null) throw invalidArgument(ERR_INVALID_ARG_TYPE, 'RedisTokenStore needs `client`: an ioredis client, a node-redis client, or a function that sends one command.')
  if ('call' in client && typeof client.call === 'function') return ([command, ...args]) => client.call(command!, ...args)
  if ('sendCommand' in client && typeof client.sendCommand === 'function') return (args) => client.sendCommand(args)
  throw invalidArgument(ERR_INVALID_ARG_TYPE, 'RedisTokenStore needs an ioredis client, a node-redis client, or a function that sends one command.')
}

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
 * const store = new RedisTokenStore({ client: new Redis(process.env.REDIS_URL!), key: 'my-app:oauth' })
 * ```
 */
export class RedisTokenStore implements TokenStore {
  readonly name: string
  readonly #send: RedisCommand
  readonly #key: string
  readonly #lockKey: string
  /** `EVAL`'s key count and KEYS for every script that reads the lock, the tokens and the mark. */
  readonly #keys: string[]
  readonly #ttlMs: number
  readonly #timeoutMs: number
  readonly #exclusive = createMutex({
    context: MUTEX_CONTEXT,
    reenteredError: () =>
      new TokenStorageError(
        TOKEN_STORE_LOCK_REENTERED,
        `The lock ${this.#lockKey} was taken again from inside the section it guards, which would wait for itself forever. Inside lock(), use the store's load and save directly.`,
      ),
  })
  readonly #channel: string
  readonly #changes: ReturnType<typeof changesFor>
  readonly #id = `${process.pid}.${++instances}`

  constructor(options: RedisTokenStoreOptions) {
    assertOptions(options, 'RedisTokenStore', ['client', 'key', 'lock'])
    this.#send = toCommand(options?.client)
    this.#key = options.key ?? 'oauth:tokens'
    this.#lockKey = `${this.#key}:lock`
    this.#keys = ['3', this.#lockKey, this.#key, `${this.#key}:refreshing`]
    this.#ttlMs = options.lock?.staleMs ?? 15_000
    this.#timeoutMs = options.lock?.timeoutMs ?? 30_000
    this.name = `redis key ${this.#key}`
    this.#channel = `${this.#key}:changes`
    this.#changes = changesFor(options.client)
  }

  async #command(args: string[]): Promise<unknown> {
    try {
      return await this.#send(args)
    } catch (err) {
      const cause = withoutArguments(err, args)
      throw new TokenStorageError(
        TOKEN_STORE_UNAVAILABLE,
        `Redis did not answer ${args[0]} for ${this.name}: ${cause.message}. Check the connection (REDIS_URL) and that the server is up.`,
        { cause },
      )
    }
  }

  /** A write made while holding the lock happens only if the lock is still ours; every write tells the other holders. */
  async #write(change: TokenStoreChange, value?: string): Promise<void> {
    const held = HELD.get(this)
    const script = held ? (value === undefined ? FENCED_DEL : FENCED_SET) : value === undefined ? DEL : SET
    const notice = JSON.stringify({ from: this.#id, change })
    const args = ['EVAL', script, ...this.#keys, held?.token ?? '', value ?? '', this.#channel, notice]
    if (Number(await this.#command(args)) !== 1) held?.lose()
  }

  async load(): Promise<OAuthTokens | null> {
    const value = await this.#command(['GET', this.#key])
    if (value === null || value === undefined) return null
    return deserializeTokens(String(value), this.name)
  }

  async save(tokens: OAuthTokens): Promise<void> {
    const value = serializeTokens(tokens)
    await this.#write('saved', value)
  }

  async clear(): Promise<void> {
    await this.#write('cleared')
  }

  async exists(): Promise<boolean> {
    return Number(await this.#command(['EXISTS', this.#key])) === 1
  }

  /**
   * Tells of other holders' saves and removals, through Redis pub/sub on `<key>:changes`: one
   * subscriber connection per client (its `duplicate()`, never keeping a process alive), however
   * many stores share the client. A bare command function cannot subscribe: then nothing is told.
   */
  subscribe(listener: (change: TokenStoreChange) => void): () => void {
    return this.#changes?.subscribe(this.#channel, this.#id, listener) ?? (() => undefined)
  }

  lock<T>(fn: (lease: LockLease) => Promise<T>): Promise<T> {
    const deadline = performance.now() + this.#timeoutMs
    const timeout = () =>
      new TokenStorageError(
        TOKEN_STORE_LOCK_TIMEOUT,
        `Waited ${this.#timeoutMs} ms for the lock ${this.#lockKey}. Another holder is refreshing or stuck; it expires within ${this.#ttlMs} ms of its holder's last renewal.`,
      )
    return this.#exclusive(() => this.#hold(fn, deadline, timeout), { timeoutMs: this.#timeoutMs, error: timeout })
  }

  async #hold<T>(fn: (lease: LockLease) => Promise<T>, deadline: number, timeout: () => Error): Promise<T> {
    const token = randomToken()
    const acquire = ['EVAL', ACQUIRE, '1', this.#lockKey, token, String(this.#ttlMs)]
    await pollUntil(async () => (Number(await this.#command(acquire)) === 1 ? true : undefined), deadline, timeout)
    const controller = new AbortController()
    const lost = () =>
      new TokenStorageError(
        TOKEN_STORE_LOCK_LOST,
        `The lock ${this.#lockKey} lapsed while this holder held it (it was paused or cut off from Redis for longer than lock.staleMs, ${this.#ttlMs} ms); its work was stopped and nothing was saved.`,
      )
    const lose = (): never => {
      if (!controller.signal.aborted) controller.abort(lost())
      throw lost()
    }
    const lease: LockLease = {
      signal: controller.signal,
      confirm: async () => {
        if (controller.signal.aborted) lose()
        const confirmed = Number(await this.#command(['EVAL', CONFIRM, ...this.#keys, token, String(this.#ttlMs)]))
        if (confirmed === 1) return
        if (confirmed === 0) lose()
        // The lock lapsed under a holder whose refresh was on the wire, and its answer is not
        // saved yet: sending the same refresh token again could spend the login.
        throw new TokenStorageError(
          TOKEN_STORE_LOCK_LOST,
          `Another holder of ${this.#lockKey} sent a refresh and has not saved its answer yet (its lock lapsed meanwhile); nothing was sent. Its mark lapses within ${2 * this.#ttlMs} ms.`,
        )
      },
    }
    // As Redlock's `using`: a renewal that fails, or finds the lock gone, aborts the holder's work.
    const renew = setInterval(() => {
      this.#command(['EVAL', RENEW, ...this.#keys, token, String(this.#ttlMs)]).then(
        (renewed) => Number(renewed) === 1 || controller.abort(lost()),
        () => controller.abort(lost()),
      )
    }, this.#ttlMs / 3)
    ;(renew as { unref?: () => void }).unref?.()
    try {
      return await HELD.run(this, { token, lease, lose }, () => fn(lease))
    } finally {
      clearInterval(renew)
      await this.#command(['EVAL', RELEASE, ...this.#keys, token]).catch(() => undefined)
    }
  }

  toJSON(): Record<string, unknown> {
    return { store: 'redis', key: this.#key }
  }

  readonly [INSPECT] = inspectSummary
}
