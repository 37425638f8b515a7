// 10. Many logins in one process: a service holding 10,000 users' logins on Postgres and on
// Redis, 10 % of them expiring each second, 50 concurrent callers over random keys. Ours (a
// LoginPool: one manager per login, made on demand, one refresh per expiry under the store's
// lock) against the naive pattern such services use (read the row, refresh if expired, write
// the row, no lock), in the same run, against one rotating token endpoint in its own process.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { isExpired, LoginPool, refreshAccessToken, type OAuthConfig, type TokenStore } from '@oauth/client'
import { migrate, PostgresTokenStore, type PostgresClientLike, type PostgresPoolLike } from '@oauth/storage-postgres'
import { RedisTokenStore } from '@oauth/storage-redis'
import { bundleNodeScript, startNodeScript, startPostgresServer, startRedisServer } from '@oauth/test-utils'
import { Redis } from 'ioredis'
import pg from 'pg'
import { fmt, percentile, table } from './stats.js'

const benchDir = fileURLToPath(new URL('..', import.meta.url))
const TTL_S = 10 // each login expires every 10 s: 10 % of them each second
const CALLERS = 50

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Counts what reaches the database: every query, on the pool or on a connection of it. */
function countingPool(pool: pg.Pool, counter: { n: number }): PostgresPoolLike {
  const wrap = (client: PostgresClientLike): PostgresClientLike => ({
    query: (text, values) => (counter.n++, client.query(text, values)),
    release: (destroy) => client.release(destroy),
    on: (event, listener) => client.on?.(event, listener),
    off: (event, listener) => client.off?.(event, listener),
  })
  return Object.assign(Object.create(null), {
    query: (text: string, values?: unknown[]) => (counter.n++, pool.query(text, values)),
    connect: async () => wrap(await pool.connect()),
    // The LISTEN connection is made like the pool's own (see @oauth/storage-postgres).
    Client: pg.Client,
    options: pool.options,
  }) as PostgresPoolLike
}

interface Row {
  backend: string
  pattern: string
  logins: number
  calls: number
  freshP50: number
  freshP99: number
  expiringP50: number
  expiringP99: number
  refreshesPerExpiry: number
  refreshes: number
  invalidGrants: number
  failed: number
  tripsPerCall: number
  bytesPerLogin?: number
}

async function tokenServer(script: string): Promise<{ url: string; stats(): Promise<{ refreshes: number; invalidGrants: number; requests: number }>; stop(): void }> {
  const child = startNodeScript(script, [String(TTL_S)])
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(String(d)).port)))
  const url = `http://127.0.0.1:${port}`
  return { url, stats: async () => (await fetch(`${url}/stats`)).json() as never, stop: () => child.kill('SIGKILL') }
}

async function run(backend: 'Postgres' | 'Redis', pattern: 'ours' | 'naive', logins: number, durationMs: number, script: string): Promise<Row> {
  const server = await tokenServer(script)
  const config: OAuthConfig = { clientId: 'bench', authorizeUrl: `${server.url}/authorize`, tokenUrl: `${server.url}/token`, redirectUri: `${server.url}/callback`, scopes: 'read' }
  const counter = { n: 0 }
  let store: (key: string) => TokenStore
  let stop: () => Promise<void>
  if (backend === 'Postgres') {
    const db = await startPostgresServer()
    const pool = new pg.Pool({ connectionString: db.url, max: 20 })
    pool.on('error', () => undefined)
    await migrate(pool)
    const counted = countingPool(pool, counter)
    store = (key) => new PostgresTokenStore({ pool: counted, key })
    stop = async () => (await pool.end(), await db.destroy())
  } else {
    const db = await startRedisServer()
    const redis = new Redis(db.url)
    const counted = { call: (command: string, ...args: string[]) => (counter.n++, redis.call(command, ...args)), duplicate: () => redis.duplicate() }
    store = (key) => new RedisTokenStore({ client: counted, key })
    stop = async () => (redis.disconnect(), await db.stop())
  }
  const keys = Array.from({ length: logins }, (_, i) => `user:${i}`)
  // Seeded directly: login i's first token expires within the first TTL, spread evenly.
  const start = Date.now()
  for (let i = 0; i < logins; i += 500) {
    await Promise.all(
      keys.slice(i, i + 500).map((key, j) => {
        const expiresAt = start + 2_000 + ((i + j) * TTL_S * 1000) / logins
        return store(key).save({ accessToken: `at-${key}-0`, refreshToken: `rt-${key}-0`, tokenType: 'Bearer', scope: 'read', expiresAt, issuedAt: expiresAt - TTL_S * 1000 })
      }),
    )
  }
  const pool = pattern === 'ours' ? new LoginPool({ oauthConfig: config, store, idleMs: 300_000, maxManagers: logins }) : undefined
  const naiveStores = new Map<string, TokenStore>()
  const naive = async (key: string) => {
    let s = naiveStores.get(key)
    if (!s) naiveStores.set(key, (s = store(key)))
    const tokens = (await s.load())!
    if (!isExpired(tokens, Date.now(), 0)) return false
    await s.save(await refreshAccessToken(tokens.refreshToken!, config))
    return true
  }

  // Memory per idle login: every login's manager made and its token read, then measured at rest.
  let bytesPerLogin: number | undefined
  if (pool) {
    gc()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < logins; i += 500) await Promise.all(keys.slice(i, i + 500).map((key) => pool.manager(key).getTokens().catch(() => undefined)))
    gc()
    bytesPerLogin = (process.memoryUsage().heapUsed - before) / logins
  }

  const fresh: number[] = []
  const expiring: number[] = []
  let calls = 0
  let failed = 0
  const trips0 = counter.n
  const end = Date.now() + durationMs
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (Date.now() < end) {
        const key = keys[Math.floor(Math.random() * logins)]!
        // "Expiring": the caller waited for a new token (ours: not the one in memory; naive: it refreshed).
        const held = pool?.manager(key).oauthTokens?.accessToken
        const t0 = performance.now()
        try {
          // Ours: the call waited for a token other than the one in memory (a refresh, or a read of one another made).
          const due = pool ? (await pool.getAccessToken(key)) !== held : await naive(key)
          const ms = performance.now() - t0
          // Fresh calls number in the millions: one in 64 is kept, a uniform sample for the percentiles.
          if (due) expiring.push(ms)
          else if (calls % 64 === 0) fresh.push(ms)
        } catch {
          failed++
        }
        calls++
        // A caller does something with its token (an API call) before asking again: without a
        // turn of the event loop, ours (served from memory) would starve every socket.
        await new Promise((resolve) => setImmediate(resolve))
      }
    }),
  )
  const trips = counter.n - trips0
  await pool?.close()
  const stats = await server.stats()
  server.stop()
  await stop()
  // Each refresh request presents one refresh token; a refresh per expiry means every
  // presented token was good (refreshes) and none was presented twice (invalid_grant).
  return {
    backend,
    pattern,
    logins,
    calls,
    freshP50: percentile(fresh, 50),
    freshP99: percentile(fresh, 99),
    expiringP50: percentile(expiring, 50),
    expiringP99: percentile(expiring, 99),
    refreshesPerExpiry: stats.refreshes ? stats.requests / stats.refreshes : NaN,
    refreshes: stats.refreshes,
    invalidGrants: stats.invalidGrants,
    failed,
    tripsPerCall: trips / calls,
    bytesPerLogin,
  }
}

export async function benchManyLogins(quick: boolean): Promise<string> {
  const logins = quick ? 1_000 : 10_000
  const durationMs = quick ? 10_000 : 60_000
  const script = await bundleNodeScript(join(benchDir, 'src/workers/token-server.ts'), benchDir)
  const rows: Row[] = []
  for (const backend of ['Postgres', 'Redis'] as const) {
    for (const pattern of ['ours', 'naive'] as const) {
      console.error(`bench: many logins, ${backend}, ${pattern}…`)
      const row = await run(backend, pattern, logins, durationMs, script)
      // A row whose event did not happen measured nothing: it fails the run, loudly.
      if (row.calls === 0 || !(row.refreshesPerExpiry > 0)) throw new Error(`bench §10 ${backend} ${pattern}: ${row.calls} calls, no refresh: the row measured nothing`)
      rows.push(row)
    }
  }
  return [
    '## 10. Many logins in one process',
    `${fmt(logins)} logins in one table (Postgres) or under one key prefix (Redis), each access token living ${TTL_S} s, so 10 % of the logins come due each second; ${CALLERS} concurrent callers ask for the token of a random login for ${durationMs / 1000} s, against a rotating token endpoint in its own process (a refresh token is good once; presenting it again is \`invalid_grant\`). **Ours**: a \`LoginPool\` (a manager per login, made on first use; one refresh per expiry under the store's lock, in the background while the old token is still valid). **Naive**: what services without a lock do (Nango, Activepieces' refresh path without its lock, Auth.js): read the row, refresh if expired, write the row. "Expiring" calls are those that waited for a new token (ours: one other than the token the manager held; naive: the call refreshed); ours refreshes in the background while the old token is still valid, so most expiries cost a caller nothing. Memory per idle login: the heap after every login's manager was made and its token read, over the heap before, per login. Round trips: every database command (Postgres queries, Redis commands) during the timed run, per call.`,
    table(
      ['backend', 'pattern', 'calls', 'fresh p50 / p99 ms', 'expiring p50 / p99 ms', 'refreshes', 'refresh requests per expiry', 'invalid_grant', 'failed calls', 'round trips per call', 'memory per idle login'],
      rows.map((r) => [
        r.backend,
        r.pattern,
        fmt(r.calls),
        `${fmt(r.freshP50, 3)} / ${fmt(r.freshP99, 3)}`,
        Number.isNaN(r.expiringP50) ? 'none waited' : `${fmt(r.expiringP50, 1)} / ${fmt(r.expiringP99, 1)}`,
        fmt(r.refreshes),
        fmt(r.refreshesPerExpiry, 3),
        fmt(r.invalidGrants),
        fmt(r.failed),
        fmt(r.tripsPerCall, 3),
        r.bytesPerLogin === undefined ? 'n/a' : `${fmt(r.bytesPerLogin / 1024, 1)} KiB`,
      ]),
    ),
  ].join('\n\n')
}
