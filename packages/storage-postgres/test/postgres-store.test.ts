import { inspect } from 'node:util'
import { TOKEN_STORE_CORRUPT, TOKEN_STORE_LOCK_REENTERED, TOKEN_STORE_LOCK_TIMEOUT, TOKEN_STORE_UNAVAILABLE, type OAuthTokens } from '@oauth/core'
import { describeTokenStoreConformance, sampleTokens, startPostgresServer, type PostgresServer } from '@oauth/test-utils'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate, migrationSql, PostgresTokenStore } from '../src/index.js'

let server: PostgresServer
const pools: pg.Pool[] = []
let n = 0

function pool(options: pg.PoolConfig = {}): pg.Pool {
  const p = new pg.Pool({ connectionString: server.url, ...options })
  pools.push(p)
  return p
}

beforeAll(async () => {
  server = await startPostgresServer()
  await migrate(pool())
}, 60_000)
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end().catch(() => undefined)))
  await server.destroy()
})

describeTokenStoreConformance(
  'PostgresTokenStore',
  async () => {
    const key = `conformance:${++n}`
    const shared = pool()
    return {
      store: new PostgresTokenStore({ pool: shared, key }),
      // Another pool is another process's connections.
      sibling: () => new PostgresTokenStore({ pool: pool(), key }),
      corrupt: async () => void (await shared.query(`INSERT INTO oauth_tokens (key, tokens, version) VALUES ($1, '"not tokens"', 1) ON CONFLICT (key) DO UPDATE SET tokens = '"not tokens"'`, [key])),
      // Postgres ends the listening session, as a restart or an administrator would.
      cutListener: async () => void (await shared.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`)),
    }
  },
  { lock: true, shared: true, corruptible: true, changes: true, reconnects: true },
)

describe('PostgresTokenStore', () => {
  it('reports a corrupt row with its table and key, and leaves it in place', async () => {
    const p = pool()
    await p.query(`INSERT INTO oauth_tokens (key, tokens, version) VALUES ('corrupt', '{"access_token": 3}', 1)`)
    const store = new PostgresTokenStore({ pool: p, key: 'corrupt' })
    await expect(store.load()).rejects.toMatchObject({ code: TOKEN_STORE_CORRUPT, message: expect.stringContaining('postgres oauth_tokens key corrupt') })
    expect(await store.exists()).toBe(true)
  })

  it('keeps fields another tool stored beside the tokens, and replaces its own', async () => {
    const p = pool()
    const store = new PostgresTokenStore({ pool: p, key: 'fields' })
    await store.save(sampleTokens(1))
    await p.query(`UPDATE oauth_tokens SET tokens = tokens || '{"tenant": "acme", "access_token": "from-elsewhere"}' WHERE key = 'fields'`)
    await store.save(sampleTokens(2))
    const { rows } = await p.query(`SELECT tokens FROM oauth_tokens WHERE key = 'fields'`)
    expect(rows[0].tokens).toMatchObject({ tenant: 'acme', access_token: sampleTokens(2).accessToken })
    expect(await store.load()).toEqual(sampleTokens(2))
  })

  it('holds one row per key: many logins in one table', async () => {
    const p = pool()
    const stores = Array.from({ length: 20 }, (_, i) => new PostgresTokenStore({ pool: p, key: `user:${i}` }))
    await Promise.all(stores.map((s, i) => s.save(sampleTokens(i))))
    expect((await Promise.all(stores.map((s) => s.load()))).map((t) => t?.accessToken)).toEqual(stores.map((_, i) => sampleTokens(i).accessToken))
  })

  it('reports a server that is down as unavailable, never as "not logged in", with no token in the error', async () => {
    const dead = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres', connectionTimeoutMillis: 2_000 })
    const store = new PostgresTokenStore({ pool: dead, key: 'k' })
    for (const op of [() => store.load(), () => store.exists(), () => store.save(sampleTokens(3)), () => store.lock(async () => 'x')]) {
      const err = await op().then(() => undefined, (e: unknown) => e)
      expect(err).toMatchObject({ code: TOKEN_STORE_UNAVAILABLE, message: expect.stringContaining('DATABASE_URL') })
      expect(inspect(err, { depth: 10 })).not.toContain('SECRET')
    }
    await dead.end()
  })

  it('names migrate() when the table is missing', async () => {
    const store = new PostgresTokenStore({ pool: pool(), key: 'k', table: 'app.tokens' })
    await expect(store.load()).rejects.toMatchObject({ code: TOKEN_STORE_UNAVAILABLE, message: expect.stringContaining('run migrate(pool, { table })') })
  })

  it('keeps every token out of an error the server raised about the saved row, at any depth', async () => {
    const p = pool()
    await p.query('CREATE TABLE narrow (key text PRIMARY KEY, tokens jsonb NOT NULL CHECK (length(tokens::text) < 20), version bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), refreshing_until timestamptz)')
    const store = new PostgresTokenStore({ pool: p, key: 'k', table: 'narrow' })
    const err = await store.save(sampleTokens(4)).then(() => undefined, (e: unknown) => e)
    expect(err).toMatchObject({ code: TOKEN_STORE_UNAVAILABLE, message: expect.stringContaining('check constraint') })
    // node-postgres's own error carries the failing row, tokens and all, in `detail`.
    const raw = await p.query(`INSERT INTO narrow (key, tokens, version) VALUES ('k', $1, 1)`, [JSON.stringify({ access_token: sampleTokens(4).accessToken })]).catch((e: unknown) => e)
    expect(inspect(raw, { depth: 10 })).toContain('SECRET')
    expect(inspect(err, { depth: 10 })).not.toContain('SECRET')
    expect(JSON.stringify(err)).not.toContain('SECRET')
  })

  it('a table of another name and schema', async () => {
    const p = pool()
    await p.query('CREATE SCHEMA IF NOT EXISTS app')
    await migrate(p, { table: 'app.tokens' })
    const store = new PostgresTokenStore({ pool: p, key: 'k', table: 'app.tokens' })
    await store.save(sampleTokens(5))
    expect(await store.load()).toEqual(sampleTokens(5))
    expect(migrationSql({ table: 'app.tokens' })).toContain('CREATE TABLE IF NOT EXISTS "app"."tokens"')
  })

  it('refuses a table name that is not a plain identifier, and something that is not a pool', () => {
    expect(() => new PostgresTokenStore({ pool: pool(), table: 'tokens; DROP TABLE x' })).toThrow(/plain name or schema.name/)
    expect(() => new PostgresTokenStore({ pool: {} as never })).toThrow(/node-postgres Pool/)
  })

  it('waits for the lock no longer than lock.timeoutMs, and refuses to be taken again from inside', async () => {
    const holder = new PostgresTokenStore({ pool: pool(), key: 'wait' })
    const waiter = new PostgresTokenStore({ pool: pool(), key: 'wait', lock: { timeoutMs: 300 } })
    let release!: () => void
    let locked!: () => void
    const isLocked = new Promise<void>((resolve) => (locked = resolve))
    const held = holder.lock(async () => {
      locked()
      await expect(holder.lock(async () => 'again')).rejects.toMatchObject({ code: TOKEN_STORE_LOCK_REENTERED })
      await new Promise<void>((resolve) => (release = resolve))
    })
    await isLocked
    const started = performance.now()
    await expect(waiter.lock(async () => 'got it')).rejects.toMatchObject({ code: TOKEN_STORE_LOCK_TIMEOUT })
    expect(performance.now() - started).toBeLessThan(5_000)
    release()
    await held
    expect(await waiter.lock(async () => 'got it')).toBe('got it')
  })

  it('hands the lock to a waiter the moment its holder releases it, and returns its connections to the pool', async () => {
    const p = pool({ max: 2 })
    const a = new PostgresTokenStore({ pool: p, key: 'handover' })
    const b = new PostgresTokenStore({ pool: pool(), key: 'handover' })
    for (let i = 0; i < 20; i++) {
      await Promise.all([a.lock(async () => a.save(sampleTokens(i))), b.lock(async () => (await b.load()) as OAuthTokens)])
    }
    expect(p.totalCount - p.idleCount).toBe(0)
    expect((await a.load())?.accessToken).toBe(sampleTokens(19).accessToken)
  })

  it('a refresh under the lock costs five round trips: lock, read, confirm, save, unlock; a load after its own save sees it', async () => {
    const p = pool()
    const queries: string[] = []
    const counting = {
      query: (text: string, values?: unknown[]) => (queries.push(text), p.query(text, values)),
      connect: async () => {
        const client = await p.connect()
        return {
          query: (text: string, values?: unknown[]) => (queries.push(text), client.query(text, values)),
          release: (destroy?: boolean) => client.release(destroy),
          on: (event: 'error', listener: (err: Error) => void) => client.on(event, listener),
          off: (event: 'error', listener: (err: Error) => void) => client.off(event, listener),
        }
      },
    }
    const store = new PostgresTokenStore({ pool: counting, key: 'trips' })
    await new PostgresTokenStore({ pool: p, key: 'trips' }).save(sampleTokens(1))
    const seen = await store.lock(async (lease) => {
      const before = await store.load() // as read with the lock
      await lease.confirm()
      await store.save(sampleTokens(2))
      return [before?.accessToken, (await store.load())?.accessToken]
    })
    expect(seen).toEqual([sampleTokens(1).accessToken, sampleTokens(2).accessToken])
    // The last load (after the save) is a query of its own: 6 in all.
    expect(queries).toHaveLength(6)
  })

  it('shows no token in JSON.stringify or util.inspect', () => {
    const store = new PostgresTokenStore({ pool: pool(), key: 'user:1' })
    expect(JSON.stringify(store)).toBe('{"store":"postgres","table":"oauth_tokens","key":"user:1"}')
  })
})
