// 4 processes share one login through one redis-server, against a real OAuth server
// that rotates refresh tokens and revokes the whole grant on reuse.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildAuthorizationUrl, parseAuthCode } from '@oauth/core'
import { exchangeCodeForTokens } from '@oauth/http'
import {
  bundleNodeScript,
  startAuthorizationServer,
  runWorkers,
  expectOneRefreshPerExpiry,
  startRedisServer,
  type AuthorizationServer,
  type RedisServer,
  type RefresherReport,
} from '@oauth/test-utils'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, it } from 'vitest'
import { RedisTokenStore } from '../../src/index.js'

const PROCESSES = 4
const DURATION_MS = 60_000
const TOKEN_TTL_S = 3
const packageDir = fileURLToPath(new URL('../..', import.meta.url))
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
  await new RedisTokenStore({ client, key: 'shared' }).save(await exchangeCodeForTokens(code, state, oauthState, server.config))
  await client.quit()

  const started = Date.now()
  const reports = await runWorkers<RefresherReport>(script, Array.from({ length: PROCESSES }, () => [redis.url, 'shared', JSON.stringify(server.config), `${server.issuer}/me`, String(DURATION_MS)]))
  expectOneRefreshPerExpiry('cross-process redis store', server, reports, { processes: PROCESSES, durationMs: DURATION_MS, elapsedMs: Date.now() - started, tokenTtlSeconds: TOKEN_TTL_S })
}, 120_000)
