// 8 processes share one login through one PostgreSQL server, against a real OAuth server
// that rotates refresh tokens and revokes the whole grant on reuse; then the same while
// Postgres is restarted under them.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  bundleNodeScript,
  expectOneRefreshPerExpiry,
  restartAt,
  loginAt,
  runWorkers,
  startAuthorizationServer,
  startPostgresServer,
  type AuthorizationServer,
  type PostgresServer,
  type RefresherReport,
} from '@oauth/test-utils'
import { TokenManager } from '@oauth/http'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { migrate, PostgresTokenStore } from '../../src/index.js'

const TOKEN_TTL_S = 3
const packageDir = fileURLToPath(new URL('../..', import.meta.url))
let server: AuthorizationServer
let postgres: PostgresServer
let script: string
let poolWorker: string

beforeAll(async () => {
  server = await startAuthorizationServer({ accessTokenTtl: TOKEN_TTL_S })
  postgres = await startPostgresServer()
  script = await bundleNodeScript(join(packageDir, 'test/fixtures/refresher.ts'), packageDir)
  poolWorker = await bundleNodeScript(join(packageDir, 'test/fixtures/pool-worker.ts'), packageDir)
}, 60_000)
afterAll(async () => {
  await server.close()
  await postgres.destroy()
})

async function sharedLogin(key: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: postgres.url })
  await migrate(pool)
  await new PostgresTokenStore({ pool, key }).save(await loginAt(server.config, (url) => server.authorize(url)))
  await pool.end()
}

const args = (key: string, durationMs: number) => [postgres.url, key, JSON.stringify(server.config), `${server.issuer}/me`, String(durationMs)]

it('8 processes sharing a Postgres store for 60 s: no invalid_grant, no lost login, one refresh per expiry', async () => {
  const PROCESSES = 8
  const DURATION_MS = 60_000
  await sharedLogin('shared')
  const before = server.events.refreshGrants
  const started = Date.now()
  const reports = await runWorkers<RefresherReport>(script, Array.from({ length: PROCESSES }, () => args('shared', DURATION_MS)))
  expect(before).toBe(0)
  expectOneRefreshPerExpiry('cross-process postgres store', server, reports, { processes: PROCESSES, durationMs: DURATION_MS, elapsedMs: Date.now() - started, tokenTtlSeconds: TOKEN_TTL_S })
}, 150_000)

it('Postgres restarted under 4 processes mid-run: they report it as unavailable meanwhile, and no login is lost', async () => {
  const PROCESSES = 4
  const DURATION_MS = 20_000
  await sharedLogin('restart')
  const grants = server.events.refreshGrants
  const errors = server.events.errors.length
  const run = runWorkers<RefresherReport>(script, Array.from({ length: PROCESSES }, () => args('restart', DURATION_MS)))
  await restartAt(postgres, [6_000, 13_000], 2_000) // down for 2 s, twice
  const reports = await run
  const failures = reports.flatMap((r) => r.failures)
  console.log(`postgres restarted twice under ${PROCESSES} processes: ${reports.reduce((s, r) => s + r.calls, 0)} calls, ${server.events.refreshGrants - grants} refreshes, ${failures.length} failures (${[...new Set(failures.map((f) => f.error?.split(':')[0]))].join(', ')})`)
  // What failed meanwhile said the store was unavailable (or its lock lost), never "log in again".
  for (const f of failures) expect(f.error).toMatch(/^TOKEN_STORE_(UNAVAILABLE|LOCK_LOST|WRITE_FAILED)/)
  expect(server.events.errors.slice(errors)).toEqual([]) // no invalid_grant: no refresh token spent twice
  expect(server.events.revoked).toBe(0)
  // Every process served calls after the second restart, and the stored login still refreshes.
  for (const r of reports) expect(r.calls).toBeGreaterThan(20)
  const pool = new pg.Pool({ connectionString: postgres.url })
  const manager = new TokenManager({ tokenStorage: new PostgresTokenStore({ pool, key: 'restart' }), oauthConfig: server.config })
  await manager.refresh()
  expect(server.events.errors.slice(errors)).toEqual([])
  await pool.end()
}, 120_000)

it('4 processes of a service acting for 40 users (a LoginPool each) for 20 s: every call served, no invalid_grant, no refresh beyond one per expiry', async () => {
  const PROCESSES = 4
  const LOGINS = 40
  const DURATION_MS = 20_000
  const pool = new pg.Pool({ connectionString: postgres.url })
  await migrate(pool)
  for (let i = 0; i < LOGINS; i++) await new PostgresTokenStore({ pool, key: `user:${i}` }).save(await loginAt(server.config, (url) => server.authorize(url)))
  await pool.end()
  const grants = server.events.refreshGrants
  const errors = server.events.errors.length
  const started = Date.now()
  const reports = await runWorkers<{ calls: number; failures: string[] }>(poolWorker, Array.from({ length: PROCESSES }, () => [postgres.url, JSON.stringify(server.config), `${server.issuer}/me`, String(LOGINS), String(DURATION_MS)]))
  const elapsedS = (Date.now() - started) / 1000
  const refreshes = server.events.refreshGrants - grants
  const calls = reports.reduce((sum, r) => sum + r.calls, 0)
  console.log(`LoginPool on Postgres: ${PROCESSES} processes, ${LOGINS} logins, ${elapsedS.toFixed(1)} s, ${calls} calls, ${refreshes} refreshes`)
  expect(reports.flatMap((r) => r.failures)).toEqual([])
  expect(server.events.errors.slice(errors)).toEqual([]) // no refresh token presented twice
  expect(calls).toBeGreaterThan(PROCESSES * 500)
  // A token is refreshed once it has a quarter of its life left: at most one refresh per login
  // every three quarters of a lifetime, however many processes ask for it.
  expect(refreshes).toBeGreaterThan(LOGINS)
  // (The logins were made before the run: each may be refreshed once more at its start.)
  expect(refreshes).toBeLessThanOrEqual(LOGINS * (1 + Math.ceil(elapsedS / (TOKEN_TTL_S * 0.75))))
}, 120_000)
