import { AsyncLocalStorage } from 'node:async_hooks'
import {
  assertOptions,
  createHoldings,
  createMutex,
  deserializeTokens,
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  INSPECT,
  inspectSummary,
  invalidArgument,
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
import { changesFor, notice } from './notifications.js'
import { cleanError, isConnectionLoss, table as quoteTable, type PostgresClientLike, type PostgresPoolLike } from './sql.js'

// One async context for every store of this module (see createMutex's `context`): the mutexes
// tell re-entry by it, and each store finds what its lock holder holds.
const MUTEX_CONTEXT = new AsyncLocalStorage()
const HELD = createHoldings<Held>(new AsyncLocalStorage())


/** Options for {@link PostgresTokenStore}. */
export interface PostgresTokenStoreOptions {
  /** A node-postgres `Pool` (or anything with its `query` and `connect`). The pool is yours: the store never creates or ends one. */
  pool: PostgresPoolLike
  /** The login's key: one row per key. Default `default`. A service acting for many users uses one key per user. */
  key?: string
  /** The table, made by {@link migrate}. Default `oauth_tokens`; `schema.table` works. */
  table?: string
  /**
   * The lock. `timeoutMs`: how long `lock()` waits for another holder (default 30 s).
   * `staleMs`: how long a holder's session may stay silent before Postgres ends it and frees the
   * lock (a paused holder; default 15 s). A holder whose connection dies frees it at once.
   */
  lock?: StoreLockOptions
}

/** What a holder knows while it holds the lock. */
interface Held {
  client: PostgresClientLike
  /** The row's version when the lock was taken, then after each of this holder's saves; `null`: no row. */
  version: string | null
  /** The row as read with the lock, for the holder's first load; `undefined` once used. */
  read?: string | null
  /** The lock's session ended under the holder (cut off, ended by the server or an operator). */
  sessionLost?: boolean
  /** This holder marked the row as being refreshed (`confirm()`), and no save of its own has cleared it yet. */
  marked?: boolean
  lose(cause?: Error): never
}

const SAVE_RETRY_MS = 200

let instances = 0

/**
 * A `TokenStore` in PostgreSQL: one row per login key, for services on many machines that
 * hold many users' logins. The lock is Postgres's own, a session advisory lock on a connection
 * held for the refresh: a holder whose connection dies frees it at once, and one that stays
 * silent longer than `lock.staleMs` is ended by the server (`idle_session_timeout`). Saves
 * under the lock are fenced by the row's version, and go through the holder's own connection:
 * a holder that lost its session saves nothing. Other holders hear of saves through
 * `LISTEN`/`NOTIFY` (`subscribe`), so a process waiting for another's refresh takes the new
 * tokens the moment they are saved.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { migrate, PostgresTokenStore } from '@oauth/storage-postgres'
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * await migrate(pool) // once, at deploy: creates the table
 * const store = new PostgresTokenStore({ pool, key: 'user:42' })
 * ```
 */
export class PostgresTokenStore implements TokenStore {
  readonly name: string
  readonly #pool: PostgresPoolLike
  readonly #key: string
  readonly #table: string
  readonly #channel: string
  readonly #staleMs: number
  readonly #timeoutMs: number
  readonly #id = `${process.pid}.${++instances}`
  readonly #exclusive = createMutex({
    context: MUTEX_CONTEXT,
    reenteredError: () =>
      new TokenStorageError(
        TOKEN_STORE_LOCK_REENTERED,
        `The lock of ${this.name} was taken again from inside the section it guards, which would wait for itself forever. Inside lock(), use the store's load and save directly.`,
      ),
  })

  constructor(options: PostgresTokenStoreOptions) {
    assertOptions(options, 'PostgresTokenStore', ['pool', 'key', 'table', 'lock'])
    const pool = options?.pool
    if (typeof pool?.query !== 'function' || typeof pool.connect !== 'function') {
      throw invalidArgument(ERR_INVALID_ARG_TYPE, 'PostgresTokenStore needs `pool`: a node-postgres Pool (new pg.Pool(...)), or anything with its query() and connect().')
    }
    if (options.key !== undefined && (typeof options.key !== 'string' || !options.key)) throw invalidArgument(ERR_INVALID_ARG_VALUE, 'PostgresTokenStore `key` must be a non-empty string.')
    this.#pool = pool
    this.#key = options.key ?? 'default'
    const { sql, channel } = quoteTable(options.table)
    this.#table = sql
    this.#channel = channel
    this.#staleMs = options.lock?.staleMs ?? 15_000
    this.#timeoutMs = options.lock?.timeoutMs ?? 30_000
    this.name = `postgres ${options.table ?? 'oauth_tokens'} key ${this.#key}`
  }

  async #query(text: string, values: unknown[], via: PostgresClientLike | PostgresPoolLike = HELD.get(this)?.client ?? this.#pool): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }> {
    try {
      return await via.query(text, values)
    } catch (err) {
      const held = HELD.get(this)
      // On the holder's own connection, a lost session is a lost lock.
      if (held && via === held.client && isConnectionLoss(err)) {
        held.sessionLost = true
        held.lose(cleanError(err, values))
      }
      throw this.#unavailable(err, values)
    }
  }

  #unavailable(err: unknown, values: readonly unknown[]): TokenStorageError {
    const cause = cleanError(err, values)
    const hint =
      cause.code === '42P01'
        ? `the table does not exist: run migrate(pool${this.#table === '"oauth_tokens"' ? '' : ', { table }'}) once, at deploy`
        : 'check the connection (DATABASE_URL) and that the server is up'
    return new TokenStorageError(TOKEN_STORE_UNAVAILABLE, `PostgreSQL did not answer for ${this.name}: ${cause.message}; ${hint}.`, { cause })
  }

  async load(): Promise<OAuthTokens | null> {
    const held = HELD.get(this)
    let text: unknown
    if (held?.read !== undefined) {
      // What was read with the lock: nobody else writes the row while it is held.
      text = held.read
      held.read = undefined
    } else {
      text = (await this.#query(`SELECT tokens::text AS tokens FROM ${this.#table} WHERE key = $1`, [this.#key])).rows[0]?.tokens
    }
    return typeof text === 'string' ? deserializeTokens(text, this.name) : null
  }

  async save(tokens: OAuthTokens): Promise<void> {
    const value = serializeTokens(tokens)
    // Fields another tool stored beside ours are kept (jsonb ||), as the file store keeps them;
    // a value that is not an object (a corrupt item) is replaced.
    const merged = `CASE WHEN jsonb_typeof(t.tokens) = 'object' THEN t.tokens || $2::jsonb ELSE $2::jsonb END`
    const held = HELD.get(this)
    if (held) held.read = undefined
    let write: string
    const values: unknown[] = [this.#key, value, this.#channel, notice(this.#key, this.#id, 'saved')]
    if (!held) {
      write = `INSERT INTO ${this.#table} AS t (key, tokens, version) VALUES ($1, $2::jsonb, 1)
        ON CONFLICT (key) DO UPDATE SET tokens = ${merged}, version = t.version + 1, updated_at = now(), refreshing_until = NULL RETURNING version`
    } else if (held.version === null) {
      // Fenced: no row when the lock was taken, so a row now is another writer's.
      write = `INSERT INTO ${this.#table} AS t (key, tokens, version) VALUES ($1, $2::jsonb, 1) ON CONFLICT (key) DO NOTHING RETURNING version`
    } else {
      // Fenced: only over the version this holder saw.
      write = `UPDATE ${this.#table} AS t SET tokens = ${merged}, version = t.version + 1, updated_at = now(), refreshing_until = NULL WHERE key = $1 AND version = $5 RETURNING version`
      values.push(held.version)
    }
    const statement = `WITH w AS (${write}) SELECT version::text AS version, pg_notify($3, $4) FROM w`
    if (!held) return void (await this.#query(statement, values))
    let rows: Record<string, unknown>[]
    try {
      rows = (await this.#query(statement, values)).rows
    } catch (err) {
      if (!held.sessionLost) throw err
      // The session, and the lock with it, ended under the holder (a Postgres restart, a cut
      // connection) after it may have spent the refresh token: dropping the new tokens would lose
      // the login. The version fences the save on its own: it is written only if nobody wrote
      // the row since this holder locked it, so never over a newer holder's.
      rows = await this.#saveFencedAfterLoss(statement, values, err)
    }
    if (!rows[0]) held.lose()
    held.version = String(rows[0]!.version)
    held.marked = false
  }

  async #saveFencedAfterLoss(statement: string, values: unknown[], lost: unknown): Promise<Record<string, unknown>[]> {
    const deadline = performance.now() + this.#staleMs
    for (;;) {
      try {
        return (await this.#query(statement, values, this.#pool)).rows
      } catch (err) {
        if (!(err instanceof TokenStorageError) || !isConnectionLoss(err.cause) || performance.now() > deadline) throw lost
        await new Promise((resolve) => setTimeout(resolve, SAVE_RETRY_MS))
      }
    }
  }

  async clear(): Promise<void> {
    const held = HELD.get(this)
    if (held) held.read = undefined
    // Under the lock, only the row this holder saw: a newer login saved around it is kept.
    if (held && held.version === null) return
    const fence = held ? ' AND version = $4' : ''
    const values: unknown[] = [this.#key, this.#channel, notice(this.#key, this.#id, 'cleared')]
    if (held) values.push(held.version)
    const { rows } = await this.#query(`WITH w AS (DELETE FROM ${this.#table} WHERE key = $1${fence} RETURNING 1) SELECT pg_notify($2, $3) FROM w`, values)
    if (held) {
      if (!rows[0]) held.lose()
      held.version = null
    }
  }

  async exists(): Promise<boolean> {
    const { rows } = await this.#query(`SELECT 1 FROM ${this.#table} WHERE key = $1`, [this.#key])
    return rows.length > 0
  }

  subscribe(listener: (change: TokenStoreChange) => void): () => void {
    return changesFor(this.#pool, this.#channel).subscribe(this.#key, this.#id, listener)
  }

  lock<T>(fn: (lease: LockLease) => Promise<T>): Promise<T> {
    const deadline = performance.now() + this.#timeoutMs
    const timeout = () =>
      new TokenStorageError(
        TOKEN_STORE_LOCK_TIMEOUT,
        `Waited ${this.#timeoutMs} ms for the lock of ${this.name}. Another holder is refreshing or stuck; Postgres frees it when its holder's session ends, or stays silent for ${this.#staleMs} ms.`,
      )
    return this.#exclusive(() => this.#hold(fn, deadline, timeout), { timeoutMs: this.#timeoutMs, error: timeout })
  }

  async #hold<T>(fn: (lease: LockLease) => Promise<T>, deadline: number, timeout: () => Error): Promise<T> {
    let client: PostgresClientLike
    try {
      client = await this.#pool.connect()
    } catch (err) {
      throw this.#unavailable(err, [])
    }
    const controller = new AbortController()
    const lost = (cause?: Error) =>
      new TokenStorageError(
        TOKEN_STORE_LOCK_LOST,
        `The lock of ${this.name} was lost while this holder held it (its session ended: cut off, ended by the server, or silent for longer than lock.staleMs, ${this.#staleMs} ms; or another writer changed the row, or another holder's refresh of it is still being saved); its work was stopped and nothing was saved.`,
        cause ? { cause } : undefined,
      )
    const lose = (cause?: Error): never => {
      if (!controller.signal.aborted) controller.abort(lost(cause))
      throw lost(cause)
    }
    // A checked-out node-postgres client that errors with no listener crashes the process.
    const onError = (err: unknown) => controller.signal.aborted || controller.abort(lost(cleanError(err, [])))
    client.on?.('error', onError)
    const lockId = `${this.#table}:${this.#key}`
    let healthy = true
    let renew: ReturnType<typeof setInterval> | undefined
    let holding: Held | undefined
    try {
      const wait = Math.max(1, Math.ceil(deadline - performance.now()))
      try {
        // One round trip: the wait's bound is set before the lock is asked for (left to right).
        await client.query(`SELECT set_config('lock_timeout', $1, false), pg_advisory_lock(hashtextextended($2, 0))`, [`${wait}ms`, lockId])
      } catch (err) {
        if ((err as { code?: string }).code === '55P03') throw timeout() // lock_not_available
        healthy = false
        throw this.#unavailable(err, [lockId])
      }
      // The session now holds the lock; the server ends it if it stays silent for staleMs (a paused
      // holder). The row is read in the same round trip: the holder's first load needs no other.
      const { rows } = await this.#query(
        `SELECT set_config('lock_timeout', '0', false), set_config('idle_session_timeout', $2, false), t.version::text AS version, t.tokens::text AS tokens
           FROM (SELECT 1) AS one LEFT JOIN ${this.#table} AS t ON t.key = $1`,
        [this.#key, `${this.#staleMs}ms`],
        client,
      )
      const held: Held = { client, version: (rows[0]?.version as string | null) ?? null, read: (rows[0]?.tokens as string | null) ?? null, lose }
      holding = held
      const lease: LockLease = {
        signal: controller.signal,
        confirm: async () => {
          if (controller.signal.aborted) lose()
          if (held.version === null) {
            const { rows } = await HELD.run(this, held, () => this.#query(`SELECT (SELECT version::text FROM ${this.#table} WHERE key = $1) AS version`, [this.#key], client))
            if ((rows[0]?.version ?? null) !== null) lose()
            return
          }
          // The row is marked as being refreshed until this holder saves, or for staleMs: a holder
          // whose session ends after it sent the refresh token (a Postgres restart) still saves
          // its answer through the pool, and nobody who takes the lock meanwhile sends that token
          // again. A row another holder marked, and did not save, is refused like a changed one.
          const { rows } = await HELD.run(this, held, () =>
            this.#query(
              `UPDATE ${this.#table} SET refreshing_until = now() + $3::interval
                 WHERE key = $1 AND version = $2 AND (refreshing_until IS NULL OR refreshing_until < now()) RETURNING version`,
              [this.#key, held.version, `${this.#staleMs} milliseconds`],
              client,
            ),
          )
          if (!rows[0]) lose()
          held.marked = true
        },
      }
      renew = setInterval(() => {
        client.query('SELECT 1').then(
          () => undefined,
          (err: unknown) => controller.signal.aborted || controller.abort(lost(cleanError(err, []))),
        )
      }, this.#staleMs / 3)
      ;(renew as { unref?: () => void }).unref?.()
      return await HELD.run(this, held, () => fn(lease))
    } catch (err) {
      if (err instanceof TokenStorageError && err.code === TOKEN_STORE_LOCK_LOST) healthy = false
      throw err
    } finally {
      clearInterval(renew)
      if (healthy && !controller.signal.aborted) {
        // A mark this holder left (its refresh failed before any save) is cleared with the unlock.
        healthy = await client
          .query(
            `WITH unmark AS (UPDATE ${this.#table} SET refreshing_until = NULL WHERE $2::boolean AND key = $3 AND version = $4)
             SELECT pg_advisory_unlock(hashtextextended($1, 0)),
               (SELECT count(set_config(name, reset_val, false)) FROM pg_settings WHERE name IN ('lock_timeout', 'idle_session_timeout'))`,
            [lockId, holding?.marked === true, this.#key, holding?.version ?? null],
          )
          .then(
            () => true,
            () => false,
          )
      }
      client.off?.('error', onError)
      // A connection that may still hold the lock is closed, never handed back to the pool.
      client.release(healthy && !controller.signal.aborted ? undefined : true)
    }
  }

  toJSON(): Record<string, unknown> {
    return { store: 'postgres', table: this.#table.replaceAll('"', ''), key: this.#key }
  }

  readonly [INSPECT] = inspectSummary
}
