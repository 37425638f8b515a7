// A logout sticks: 4 processes share one login through a file and refresh it against a
// rotating server; another process logs out (clears the file, no revocation, as
// `logout --local` or a server without a revocation endpoint). No process may bring the login
// back from its copy in memory at its next refresh.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildAuthorizationUrl, OAUTH_NOT_LOGGED_IN, parseAuthCode } from '@oauth/core'
import { exchangeCodeForTokens, TokenManager } from '@oauth/http'
import { bundleNodeScript, runWorkers, startAuthorizationServer, type AuthorizationServer } from '@oauth/test-utils'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { FileTokenStore } from '../src/index.js'

const PROCESSES = 4
const TOKEN_TTL_S = 3
const RUN_MS = 11_000
const LOGOUT_AFTER_MS = 5_000
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'oauth-logout-'))
let server: AuthorizationServer
let script: string

beforeAll(async () => {
  server = await startAuthorizationServer({ accessTokenTtl: TOKEN_TTL_S })
  script = await bundleNodeScript(join(packageDir, 'test/fixtures/logout-watcher.ts'), packageDir)
}, 60_000)
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

interface WatcherReport {
  calls: { at: number; ok: boolean; status?: number; code?: string }[]
  refreshes: number
}

it(`logout sticks: ${PROCESSES} processes refreshing one file never write the login back after another process clears it`, async () => {
  const { url, oauthState } = await buildAuthorizationUrl(server.config)
  const { code, state } = parseAuthCode(await server.authorize(url))
  const path = join(dir, 'oauth_tokens.json')
  await new FileTokenStore({ path }).save(await exchangeCodeForTokens(code, state, oauthState, server.config))

  const workers = runWorkers<WatcherReport>(script, Array.from({ length: PROCESSES }, () => [path, JSON.stringify(server.config), `${server.issuer}/me`, String(RUN_MS)]))
  await new Promise((resolve) => setTimeout(resolve, LOGOUT_AFTER_MS))
  const logoutAt = Date.now()
  await new TokenManager({ tokenStorage: new FileTokenStore({ path }), oauthConfig: server.config }).clear()
  const loggedOut = Date.now()
  const reports = await workers

  const calls = reports.flatMap((r) => r.calls)
  const before = calls.filter((c) => c.at < logoutAt)
  const after = calls.filter((c) => c.at > loggedOut)
  const refreshesAfter = server.events.refreshedAt.filter((t) => t > loggedOut)
  console.log(
    `logout: ${calls.length} calls, ${server.events.refreshGrants} refreshes granted (${refreshesAfter.length} after the logout), ` +
      `${after.filter((c) => c.code === OAUTH_NOT_LOGGED_IN).length} calls told "not logged in" after it, server errors: ${server.events.errors.length}`,
  )
  // Before the logout: every call served, at least one refresh, no invalid_grant.
  expect(before.length).toBeGreaterThan(PROCESSES * 10)
  expect(before.filter((c) => !c.ok)).toEqual([])
  expect(server.events.refreshGrants).toBeGreaterThanOrEqual(1)
  expect(server.events.errors).toEqual([])
  // After it: no refresh sent or granted, nothing saved, and every process ends logged out.
  expect(refreshesAfter).toEqual([])
  expect(existsSync(path)).toBe(false)
  expect(await new FileTokenStore({ path }).load()).toBeNull()
  for (const call of after.filter((c) => !c.ok)) expect(call.code === OAUTH_NOT_LOGGED_IN || call.status === 401).toBe(true)
  for (const report of reports) expect(report.calls.at(-1)).toMatchObject({ ok: false, code: OAUTH_NOT_LOGGED_IN })
}, 60_000)
