// What the store needs of node-postgres, and the care its errors need.
import { ERR_INVALID_ARG_VALUE, invalidArgument } from '@oauth/core'

/** What the store asks of a query: node-postgres's `QueryResult`, in part. */
interface QueryResultLike {
  rows: Record<string, unknown>[]
  rowCount: number | null
}

/** A connection checked out of the pool: node-postgres's `PoolClient`, in part. */
export interface PostgresClientLike {
  query(text: string, values?: unknown[]): Promise<QueryResultLike>
  /** Back to the pool; `true` closes the connection instead (one that may still hold a lock). */
  release(destroy?: boolean): void
  on?(event: 'error', listener: (err: Error) => void): unknown
  off?(event: 'error', listener: (err: Error) => void): unknown
}

/** A node-postgres `Pool`, in part: queries, and a connection of its own for the lock. */
export interface PostgresPoolLike {
  query(text: string, values?: unknown[]): Promise<QueryResultLike>
  connect(): Promise<PostgresClientLike>
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,54}$/

/** The table as SQL (`"schema"."table"`) and the channel its changes are told on. */
export function table(name = 'oauth_tokens'): { sql: string; channel: string } {
  const parts = typeof name === 'string' ? name.split('.') : []
  if (parts.length < 1 || parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw invalidArgument(ERR_INVALID_ARG_VALUE, `The table must be a plain name or schema.name of letters, digits and _ (got ${JSON.stringify(String(name).slice(0, 80))}).`)
  }
  return { sql: parts.map((p) => `"${p}"`).join('.'), channel: `${parts.join('_')}_changes` }
}

/**
 * The driver's error without what it carries about the query: node-postgres errors keep the
 * server's `detail` (a failing row, with its tokens), `where` and `internalQuery`, so none is
 * kept. Its message and SQLSTATE `code` are, with any value of the query cut out of the message.
 */
export function cleanError(err: unknown, values: readonly unknown[]): Error & { code?: string } {
  let message = err instanceof Error ? err.message : String(err)
  const secrets: string[] = []
  for (const value of values) {
    if (typeof value !== 'string') continue
    secrets.push(value)
    try {
      const parsed: unknown = JSON.parse(value)
      if (parsed && typeof parsed === 'object') for (const field of Object.values(parsed)) if (typeof field === 'string') secrets.push(field)
    } catch {
      // not JSON
    }
  }
  for (const secret of secrets) if (secret.length >= 8) message = message.split(secret).join('[redacted]')
  const safe: Error & { code?: string } = new Error(message)
  safe.name = err instanceof Error ? err.name : 'Error'
  const code = (err as { code?: unknown })?.code
  if (typeof code === 'string') safe.code = code
  return safe
}

/** The session is gone (cut off, ended by the server or an operator), as opposed to a query the server refused. */
export function isConnectionLoss(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true
  return code.startsWith('57') || code.startsWith('08')
}

/**
 * Creates the table the store uses, if it is missing; safe to run again. Run it once, at deploy
 * or in your migrations, never at every start: the store never changes a schema behind your back.
 * The SQL, for your own migration tool, is {@link migrationSql}.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { migrate } from '@oauth/storage-postgres'
 * await migrate(new pg.Pool({ connectionString: process.env.DATABASE_URL }))
 * ```
 */
export async function migrate(pool: Pick<PostgresPoolLike, 'query'>, options: { table?: string } = {}): Promise<void> {
  await pool.query(migrationSql(options))
}

/**
 * The SQL {@link migrate} runs: one table, one row per login key, the tokens as jsonb, a version
 * that fences saves, and `refreshing_until`: set by a holder just before it sends the refresh
 * token, cleared by its save, so that no other holder sends the same token meanwhile, even after
 * the first one's session (and its lock) ended under it.
 */
export function migrationSql(options: { table?: string } = {}): string {
  const { sql } = table(options.table)
  return `CREATE TABLE IF NOT EXISTS ${sql} (
  key text PRIMARY KEY,
  tokens jsonb NOT NULL,
  version bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  refreshing_until timestamptz
);
ALTER TABLE ${sql} ADD COLUMN IF NOT EXISTS refreshing_until timestamptz`
}
