// 8 processes share one login through one file, against a real OAuth server that
// rotates refresh tokens and revokes the whole grant on reuse. Any refresh race shows
// up as invalid_grant at the server and as failed calls in the workers.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildAuthorizationUrl, parseAuthCode } from '@oauth/core'
import { exchangeCodeForTokens } from '@oauth/http'
import { bundleNodeScript, startAuthorizationServer, startNodeScript, type AuthorizationServer, type RefresherReport } from '@oauth/test-utils'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { FileTokenStore } from '../src/index.js'

const PROCESSES = 8
const DURATION_MS = 60_000
const TOKEN_TTL_S = 3
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'oauth-cross-process-'))
let server: AuthorizationServer
let script: string

beforeAll(async () => {
  server = await startAuthorizationServer({ accessTokenTtl: TOKEN_TTL_S })
  script = await bundleNodeScript(join(packageDir, 'test/fixtures/refresher.ts'), packageDir)
}, 60_000)
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

it(`${PROCESSES} processes sharing a file store for ${DURATION_MS / 1000} s: no invalid_grant, no lost login, one refresh per expiry`, async () => {
  const { url, oauthState } = await buildAuthorizationUrl(server.config)
  const { code, state } = parseAuthCode(await server.authorize(url))
  const path = join(dir, 'oauth_tokens.json')
  await new FileTokenStore(path).save(await exchangeCodeForTokens(code, state, oauthState, server.config))

  const started = Date.now()
  const reports = await Promise.all(
    Array.from({ length: PROCESSES }, async () => {
      const child = startNodeScript(script, [path, JSON.stringify(server.config), `${server.issuer}/me`, String(DURATION_MS)])
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
  const workerRefreshes = reports.reduce((sum, r) => sum + r.refreshes, 0)
  // Each access token is treated as expiring 1 s early, so it serves TOKEN_TTL_S - 1 seconds.
  const expiries = Math.ceil(elapsedS / (TOKEN_TTL_S - 1))
  console.log(
    `cross-process file store: ${PROCESSES} processes, ${elapsedS.toFixed(1)} s, ${calls} API calls, ${server.events.refreshGrants} refreshes ` +
      `(${expiries} expiries at most), ${tokens.size} distinct access tokens, ${failures.length} failures, server errors: ${server.events.errors.length}${server.events.errors.length ? ` (${[...new Set(server.events.errors)].join(', ')})` : ''}`,
  )
  expect(elapsedS).toBeGreaterThanOrEqual(DURATION_MS / 1000)
  expect(failures).toEqual([])
  expect(server.events.errors).toEqual([]) // no invalid_grant, ever
  expect(server.events.revoked).toBe(0)
  expect(calls).toBeGreaterThan(PROCESSES * 100)
  // One refresh per expiry: never more refreshes than expiries, and every refresh was needed.
  expect(server.events.refreshGrants).toBeLessThanOrEqual(expiries)
  expect(server.events.refreshGrants).toBeGreaterThanOrEqual(Math.floor(elapsedS / TOKEN_TTL_S))
  expect(workerRefreshes).toBe(server.events.refreshGrants)
  // Every refreshed token was shared: the initial token plus one per refresh, nothing else.
  expect(tokens.size).toBe(server.events.refreshGrants + 1)
}, 120_000)
