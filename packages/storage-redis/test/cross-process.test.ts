// 4 processes share one login through one redis-server, against a real OAuth server
// that rotates refresh tokens and revokes the whole grant on reuse.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildAuthorizationUrl, parseAuthCode } from '@oauth/core'
import { exchangeCodeForTokens } from '@oauth/http'
import {
  bundleNodeScript,
  startAuthorizationServer,
  startNodeScript,
  startRedisServer,
  type AuthorizationServer,
  type RedisServer,
  type RefresherReport,
} from '@oauth/test-utils'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { RedisTokenStore } from '../src/index.js'

const PROCESSES = 4
const DURATION_MS = 60_000
const TOKEN_TTL_S = 3
const packageDir = fileURLToPath(new URL('..', import.meta.url))
let server: AuthorizationServer
let redis: RedisServer
let script: string

beforeAll(async () => {
  server = await startAuthorizationServer({ accessTokenTtl: TOKEN_TTL_S })
  redis = await startRedisServer()
  script = await bundleNodeScript(join(packageDir, 'test/fixtures/refresher.ts'), packageDir)
}, 60_000)
afterAll(async () => {
  await server.close()
  await redis.stop()
})

it(`${PROCESSES} processes sharing a Redis store for ${DURATION_MS / 1000} s: no invalid_grant, no lost login, one refresh per expiry`, async () => {
  const { url, oauthState } = await buildAuthorizationUrl(server.config)
  const { code, state } = parseAuthCode(await server.authorize(url))
  const client = new Redis(redis.url)
  await new RedisTokenStore(client, { key: 'shared' }).save(await exchangeCodeForTokens(code, state, oauthState, server.config))
  await client.quit()

  const started = Date.now()
  const reports = await Promise.all(
    Array.from({ length: PROCESSES }, async () => {
      const child = startNodeScript(script, [redis.url, 'shared', JSON.stringify(server.config), `${server.issuer}/me`, String(DURATION_MS)])
      let out = ''
      let err = ''
      child.stdout!.on('data', (d: Buffer) => (out += d))
      child.stderr!.on('data', (d: Buffer) => (err += d))
      const status = await new Promise((resolve) => child.once('exit', resolve))
      if (status !== 0) throw new Error(`worker exited ${status}: ${err}`)
      return JSON.parse(out.trim().split('\n').at(-1)!) as RefresherReport
    }),
  )
  const elapsedS = (Date.now() - started) / 1000
  const calls = reports.reduce((sum, r) => sum + r.calls, 0)
  const failures = reports.flatMap((r) => r.failures)
  const tokens = new Set(reports.flatMap((r) => r.tokens))
  const expiries = Math.ceil(elapsedS / (TOKEN_TTL_S - 1))
  console.log(
    `cross-process redis store: ${PROCESSES} processes, ${elapsedS.toFixed(1)} s, ${calls} API calls, ${server.events.refreshGrants} refreshes ` +
      `(${expiries} expiries at most), ${tokens.size} distinct access tokens, ${failures.length} failures, server errors: ${server.events.errors.length}${server.events.errors.length ? ` (${[...new Set(server.events.errors)].join(', ')})` : ''}`,
  )
  expect(elapsedS).toBeGreaterThanOrEqual(DURATION_MS / 1000)
  expect(failures).toEqual([])
  expect(server.events.errors).toEqual([])
  expect(server.events.revoked).toBe(0)
  expect(calls).toBeGreaterThan(PROCESSES * 100)
  expect(server.events.refreshGrants).toBeLessThanOrEqual(expiries)
  expect(server.events.refreshGrants).toBeGreaterThanOrEqual(Math.floor(elapsedS / TOKEN_TTL_S))
  expect(reports.reduce((sum, r) => sum + r.refreshes, 0)).toBe(server.events.refreshGrants)
  expect(tokens.size).toBe(server.events.refreshGrants + 1)
}, 120_000)
