// 8 processes share one login through one file, against a real OAuth server that
// rotates refresh tokens and revokes the whole grant on reuse. Any refresh race shows
// up as invalid_grant at the server and as failed calls in the workers.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildAuthorizationUrl, parseAuthCode } from '@oauth/core'
import { exchangeCodeForTokens } from '@oauth/http'
import { bundleNodeScript, startAuthorizationServer, runWorkers, expectOneRefreshPerExpiry, type AuthorizationServer, type RefresherReport } from '@oauth/test-utils'
import { afterAll, beforeAll, it } from 'vitest'
import { FileTokenStore } from '../../src/index.js'

const PROCESSES = 8
const DURATION_MS = 60_000
const TOKEN_TTL_S = 3
const packageDir = fileURLToPath(new URL('../..', import.meta.url))
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
  await new FileTokenStore({ path }).save(await exchangeCodeForTokens(code, state, oauthState, server.config))

  const started = Date.now()
  const reports = await runWorkers<RefresherReport>(script, Array.from({ length: PROCESSES }, () => [path, JSON.stringify(server.config), `${server.issuer}/me`, String(DURATION_MS)]))
  expectOneRefreshPerExpiry('cross-process file store', server, reports, { processes: PROCESSES, durationMs: DURATION_MS, elapsedMs: Date.now() - started, tokenTtlSeconds: TOKEN_TTL_S })
}, 120_000)
