// 4 processes share one login through one redis-server, against a real OAuth server
// that rotates refresh tokens and revokes the whole grant on reuse; and again while the
// redis-server (with its append-only file, as a production one keeps) is restarted under them.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildAuthorizationUrl, parseAuthCode } from '@oauth/core'
import { exchangeCodeForTokens } from '@oauth/http'
import {
  bundleNodeScript,
  loginAt,
  startAuthorizationServer,
  runWorkers,
  expectOneRefreshPerExpiry,
  restartAt,
  startRedisServer,
  type AuthorizationServer,
  type RedisServer,
  type RefresherReport,
} from '@oauth/test-utils'
import { Redis } from 'ioredis'
import { TokenManager } from '@oauth/http'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { RedisTokenStore } from '../../src/index.js'

const PROCESSES = 4
const DURATION_MS = 60_000
const TOKEN_TTL_S = 3
const packageDir = fileURLToPath(new URL('../..', import.meta.url))
let server: AuthorizationServer
let redis: RedisServer
let persistent: RedisServer
let script: string

beforeAll(async () => {
  server = await startAuthorizationServer({ accessTokenTtl: TOKEN_TTL_S })
  redis = await startRedisServer()
  persistent = await startRedisServer({ persistent: true })
  script = await bundleNodeScript(join(packageDir, 'test/fixtures/refresher.ts'), packageDir)
}, 60_000)
afterAll(async () => {
  await server.close()
  await redis.destroy()
  await persistent.destroy()
})

it(`${PROCESSES} processes sharing a Redis store for ${DURATION_MS / 1000} s: no invalid_grant, no lost login, one refresh per expiry`, async () => {
  const { url, oauthState } = await buildAuthorizationUrl(server.config)
  const { code, state } = parseAuthCode(await server.authorize(url))
  const client = new Redis(redis.url)
  await new RedisTokenStore({ client, key: 'shared' }).save(await exchangeCodeForTokens(code, state, oauthState, server.config))
  await client.quit()

  const started = Date.now()
  const reports = await runWorkers<RefresherReport>(script, Array.from({ length: PROCESSES }, () => [redis.url, 'shared', JSON.stringify(server.config), `${server.issuer}/me`, String(DURATION_MS)]))
  expectOneRefreshPerExpiry('cross-process redis store', server, reports, { processes: PROCESSES, durationMs: DURATION_MS, elapsedMs: Date.now() - started, tokenTtlSeconds: TOKEN_TTL_S })
}, 120_000)

it('Redis restarted under 4 processes mid-run: calls wait for it or report it unavailable, never "log in again", and no login is lost', async () => {
  const RESTART_DURATION_MS = 20_000
  const client = new Redis(persistent.url)
  await new RedisTokenStore({ client, key: 'restart' }).save(await loginAt(server.config, (url) => server.authorize(url)))
  await client.quit()
  const grants = server.events.refreshGrants
  const errors = server.events.errors.length
  const run = runWorkers<RefresherReport>(script, Array.from({ length: PROCESSES }, () => [persistent.url, 'restart', JSON.stringify(server.config), `${server.issuer}/me`, String(RESTART_DURATION_MS)]))
  await restartAt(persistent, [6_000, 13_000], 2_000) // down for 2 s, twice
  const reports = await run
  const failures = reports.flatMap((r) => r.failures)
  console.log(`redis restarted twice under ${PROCESSES} processes: ${reports.reduce((s, r) => s + r.calls, 0)} calls, ${server.events.refreshGrants - grants} refreshes, ${failures.length} failures (${[...new Set(failures.map((f) => f.error?.split(':')[0]))].join(', ')})`)
  // ioredis queues commands while it reconnects; what failed meanwhile said the store was
  // unavailable (or its lock lost), never "log in again".
  for (const f of failures) expect(f.error).toMatch(/^TOKEN_STORE_(UNAVAILABLE|LOCK_LOST)/)
  expect(server.events.errors.slice(errors)).toEqual([]) // no invalid_grant: no refresh token spent twice
  expect(server.events.revoked).toBe(0)
  // Every process served calls after the second restart, and the stored login still refreshes.
  for (const r of reports) expect(r.calls).toBeGreaterThan(20)
  const after = new Redis(persistent.url)
  try {
    await new TokenManager({ tokenStorage: new RedisTokenStore({ client: after, key: 'restart' }), oauthConfig: server.config }).refresh()
    expect(server.events.errors.slice(errors)).toEqual([])
  } finally {
    after.disconnect()
  }
}, 120_000)
