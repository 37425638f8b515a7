// Four MCP client processes share one login through one folder of logins (fileLogins) and call
// a tool on an MCP server (the MCP SDK's, with its bearer auth) for 20 s. The authorization
// server is oidc-provider: 5-second access tokens, refresh tokens that rotate on every use, and
// the whole grant revoked when a rotated one is used again. The 60-second run, with the SDK's own
// provider pattern beside it as the control, is in bench/RESULTS.md.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleNodeScript, CLIENT_ID, REDIRECT_URI, runWorkers, startAuthorizationServer, type AuthorizationServer, type RefresherReport } from '@oauth/test-utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fileLogins, McpOAuth } from '../../src/index.js'
import { startMcpServer, type McpTestServer } from '../fixtures/mcp-server.js'

const packageDir = fileURLToPath(new URL('../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'oauth-mcp-processes-'))
const TTL = 5
let as: AuthorizationServer
let mcp: McpTestServer
let worker: string

beforeAll(async () => {
  as = await startAuthorizationServer({ accessTokenTtl: TTL, acceptResource: () => true })
  mcp = await startMcpServer({ issuer: as.issuer })
  worker = await bundleNodeScript(join(packageDir, 'test/fixtures/mcp-worker.ts'), packageDir, ['@napi-rs/keyring'], 'mcp-worker-processes')
}, 60_000)
afterAll(async () => {
  await mcp.close()
  await as.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('MCP client processes sharing one rotating login', () => {
  it('4 processes × 20 s: one refresh per expiry, no invalid_grant, no login asked for, no failed call', async () => {
    // The one login, as a user would make it, saved in the folder the workers share.
    const auth = new McpOAuth({ server: mcp.url, client: { clientId: CLIENT_ID }, redirectUri: REDIRECT_URI, logins: fileLogins(dir), authorize: (url) => as.authorize(url) })
    const client = new Client({ name: 'login', version: '1.0.0' })
    await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { fetch: auth.fetch }))
    await client.callTool({ name: 'whoami', arguments: {} })
    await client.close()

    const durationMs = 20_000
    const started = Date.now()
    const reports = await runWorkers<RefresherReport & { logins: number }>(worker, Array.from({ length: 4 }, () => ['ours', mcp.url, dir, String(durationMs)]))
    const elapsedS = (Date.now() - started) / 1000
    const calls = reports.reduce((n, r) => n + r.calls, 0)
    const tokens = new Set(reports.flatMap((r) => r.tokens))
    // Each token counts as expiring 1 s early (the workers' buffer): it serves TTL - 1 seconds.
    const expiries = Math.ceil(elapsedS / (TTL - 1))
    console.log(`mcp, 4 processes, ${elapsedS.toFixed(1)} s: ${calls} tool calls, ${as.events.refreshGrants} refreshes (${expiries} expiries at most), ${tokens.size} access tokens, server errors: ${as.events.errors.length}`)
    expect(reports.flatMap((r) => r.failures)).toEqual([])
    expect(reports.map((r) => r.logins)).toEqual([0, 0, 0, 0])
    expect(as.events.errors).toEqual([]) // no invalid_grant, ever
    expect(as.events.revoked).toBe(0)
    expect(calls).toBeGreaterThan(4 * 20)
    expect(as.events.refreshGrants).toBeLessThanOrEqual(expiries)
    expect(as.events.refreshGrants).toBeGreaterThanOrEqual(Math.floor(durationMs / 1000 / TTL))
    expect(reports.reduce((n, r) => n + r.refreshes, 0)).toBe(as.events.refreshGrants)
    // Every refreshed token was shared: the login's token plus one per refresh, nothing else.
    expect(tokens.size).toBe(as.events.refreshGrants + 1)
  }, 90_000)
})
