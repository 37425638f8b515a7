// The two everyday stores in a real MCP client program: a user logs in once, then a separate
// MCP client process (test/fixtures/mcp-worker.ts) calls tools with that login, from the file
// store and from the OS keychain (a real Secret Service on a private D-Bus), asking for no login.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { AsyncEntry } from '@napi-rs/keyring'
import { KeychainTokenStore } from '@oauth/storage-keychain'
import { bundleNodeScript, CLIENT_ID, REDIRECT_URI, runWorkers, startAuthorizationServer, startSecretService, type AuthorizationServer, type RefresherReport, type SecretService } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fileLogins, keyFor, McpOAuth, type McpLogins } from '../../src/index.js'
import { startMcpServer, type McpTestServer } from '../fixtures/mcp-server.js'

const packageDir = fileURLToPath(new URL('../..', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'oauth-mcp-stores-'))
let as: AuthorizationServer
let mcp: McpTestServer
let secrets: SecretService
let worker: string
const savedAddress = process.env.DBUS_SESSION_BUS_ADDRESS

beforeAll(async () => {
  ;[as, secrets, worker] = await Promise.all([
    startAuthorizationServer({ accessTokenTtl: 3, acceptResource: () => true }),
    startSecretService(),
    bundleNodeScript(join(packageDir, 'test/fixtures/mcp-worker.ts'), packageDir, ['@napi-rs/keyring'], 'mcp-worker-stores'),
  ])
  process.env.DBUS_SESSION_BUS_ADDRESS = secrets.address
  mcp = await startMcpServer({ issuer: as.issuer })
}, 60_000)
afterAll(async () => {
  await mcp?.close()
  await as?.close()
  await secrets?.stop()
  if (savedAddress === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS
  else process.env.DBUS_SESSION_BUS_ADDRESS = savedAddress
  rmSync(root, { recursive: true, force: true })
})

async function loginWith(logins: McpLogins): Promise<string> {
  const auth = new McpOAuth({ server: mcp.url, client: { clientId: CLIENT_ID }, redirectUri: REDIRECT_URI, logins, authorize: (url) => as.authorize(url) })
  const client = new Client({ name: 'login', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { fetch: auth.fetch }))
  await client.callTool({ name: 'whoami', arguments: {} })
  await client.close()
  return (await auth.tokenManager())!.oauthTokens!.refreshToken!
}

describe('an MCP client program on the everyday stores', () => {
  it.each(['file', 'keychain'] as const)('%s: logged in once, a separate program calls tools through expiries, asking for no login', async (kind) => {
    const dir = join(root, kind)
    const keychain = kind === 'keychain' ? { tokens: ({ key }: { key: string }) => new KeychainTokenStore({ service: 'oauth-mcp-test', account: key }) } : {}
    const refreshToken = await loginWith(fileLogins(dir, keychain))
    const [report] = await runWorkers<RefresherReport & { logins: number }>(worker, [[kind === 'file' ? 'ours' : 'ours-keychain', mcp.url, dir, '4000']], { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: secrets.address } })
    expect(report!.failures).toEqual([])
    expect(report!.logins).toBe(0)
    expect(report!.calls).toBeGreaterThan(5)
    expect(report!.refreshes).toBeGreaterThanOrEqual(1) // 3-second tokens, 4 seconds of calls
    const files = readdirSync(dir)
    const text = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n')
    if (kind === 'keychain') {
      // The folder holds only the records (discovery); the tokens are in the keychain.
      expect(files.some((f) => f.endsWith('.tokens.json'))).toBe(false)
      expect(text).not.toContain(refreshToken)
      // …under the login's key (its issuer and resource), rotated past the one the login got.
      const stored = await new AsyncEntry('oauth-mcp-test', await keyFor(as.issuer, mcp.url)).getPassword()
      expect(stored).toMatch(/refresh_token/)
      expect(stored).not.toContain(refreshToken)
    } else {
      expect(files.filter((f) => f.endsWith('.tokens.json'))).toHaveLength(1)
    }
  }, 60_000)
})
