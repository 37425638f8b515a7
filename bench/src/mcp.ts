// 9. MCP clients sharing one login across processes: @oauth/mcp against the MCP SDK's own
// provider pattern (tokens in a JSON file, no lock), as the issue threads' applications write it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { fileLogins, McpOAuth } from '@oauth/mcp'
import { bundleNodeScript, CLIENT_ID, REDIRECT_URI, runWorkers, startAuthorizationServer, type RefresherReport } from '@oauth/test-utils'
import { startMcpServer } from '../../packages/mcp/test/fixtures/mcp-server.js'
import { fmt, table } from './stats.js'

const mcpDir = fileURLToPath(new URL('../../packages/mcp', import.meta.url))
const TTL = 5

export async function benchMcp(quick: boolean): Promise<string> {
  const seconds = quick ? 10 : 60
  const processes = 4
  const worker = await bundleNodeScript(join(mcpDir, 'test/fixtures/mcp-worker.ts'), mcpDir, ['@napi-rs/keyring'], 'mcp-worker-bench')
  const dir = mkdtempSync(join(tmpdir(), 'oauth-bench-mcp-'))
  const rows: (string | number)[][] = []
  try {
    for (const mode of ['ours', 'sdk'] as const) {
      const as = await startAuthorizationServer({ accessTokenTtl: TTL, acceptResource: () => true })
      const mcp = await startMcpServer({ issuer: as.issuer })
      try {
        // One login, as the user would make it.
        const logins = join(dir, mode)
        const auth = new McpOAuth({ server: mcp.url, client: { clientId: CLIENT_ID }, redirectUri: REDIRECT_URI, logins: fileLogins(logins), authorize: (url) => as.authorize(url) })
        const client = new Client({ name: 'login', version: '1.0.0' })
        await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { fetch: auth.fetch }))
        await client.callTool({ name: 'whoami', arguments: {} })
        await client.close()
        let where = logins
        if (mode === 'sdk') {
          const t = (await auth.tokenManager())!.oauthTokens!
          where = join(dir, 'sdk-tokens.json')
          writeFileSync(where, JSON.stringify({ tokens: { access_token: t.accessToken, token_type: 'Bearer', refresh_token: t.refreshToken, expires_in: TTL } }))
        }
        const refreshesBefore = as.events.refreshGrants
        const reports = await runWorkers<RefresherReport & { logins: number }>(worker, Array.from({ length: processes }, () => [mode, mcp.url, where, String(seconds * 1000)]))
        const calls = reports.reduce((n, r) => n + r.calls, 0)
        const failures = reports.reduce((n, r) => n + r.failures.length, 0)
        const refreshes = as.events.refreshGrants - refreshesBefore
        const loginsAsked = reports.reduce((n, r) => n + r.logins, 0)
        const invalidGrants = as.events.errors.filter((e) => e === 'invalid_grant').length
        // Ours count a token as expiring 1 s early (each serves 4 s); the SDK uses it until a 401.
        const expiries = Math.ceil(seconds / (mode === 'ours' ? TTL - 1 : TTL))
        // A row whose event did not happen measures nothing (#27). The control may lose its login
        // early: what it loses is what it measures.
        if (mode === 'ours' && (calls === 0 || refreshes === 0)) throw new Error(`bench row "mcp ${mode}" measured nothing: ${calls} calls, ${refreshes} refreshes in ${seconds} s`)
        rows.push([
          mode === 'ours' ? '@oauth/mcp: `McpOAuth` + `fileLogins`' : 'MCP SDK provider pattern: JSON file, no lock (control)',
          processes,
          `${seconds} s`,
          fmt(calls),
          refreshes,
          expiries,
          invalidGrants,
          as.events.revoked,
          loginsAsked,
          failures,
        ])
      } finally {
        await mcp.close()
        await as.close()
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return [
    '## 9. MCP clients sharing one login',
    `${processes} MCP client processes share one login and call a tool (the MCP SDK's server behind its bearer auth, every token introspected at the authorization server) every 50–200 ms. The authorization server is oidc-provider with ${TTL}-second access tokens, refresh tokens that rotate on every use, and the grant revoked when a rotated one is reused. The control is the MCP SDK's \`OAuthClientProvider\` written as its examples and most applications write it: tokens in a JSON file, refreshed by the SDK after a 401, without a lock. "Logins asked" counts the times a process asked the user to log in again; the SDK never asks: once a racing refresh has spent the rotated token, its \`auth()\` throws \`InvalidGrantError\` ("grant request is invalid") or "Server returned 401 after successful authentication" to the application, call after call, and the login is lost until the user logs in again.`,
    table(['client', 'processes', 'duration', 'tool calls', 'refreshes', 'expiries', 'invalid_grant', 'grants revoked', 'logins asked', 'failed calls'], rows),
  ].join('\n\n')
}
