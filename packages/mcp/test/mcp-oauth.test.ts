// McpOAuth between the MCP SDK's client and server (with the SDK's bearer auth), and a real
// authorization server (oidc-provider: rotating refresh tokens, the whole grant revoked when a
// rotated one is reused, short-lived access tokens).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { PassThrough } from 'node:stream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { authorizeInteractive } from '@oauth/client'
import { sleep, TOKEN_STORE_CORRUPT } from '@oauth/core'
import { CLIENT_ID, REDIRECT_URI, startAuthorizationServer, type AuthorizationServer } from '@oauth/test-utils'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fileLogins, McpOAuth, MCP_ISSUER_MISMATCH, MCP_RESOURCE_MISMATCH, type McpOAuthOptions } from '../src/index.js'
import { startMcpServer, type McpTestServer } from './fixtures/mcp-server.js'

let as: AuthorizationServer
let mcp: McpTestServer
const dirs: string[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-mcp-'))
  dirs.push(dir)
  return dir
}

beforeAll(async () => {
  as = await startAuthorizationServer({ accessTokenTtl: 4, acceptResource: () => true })
  mcp = await startMcpServer({ issuer: as.issuer })
}, 30_000)
afterAll(async () => {
  await mcp.close()
  await as.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
afterEach(() => {
  as.events.errors.length = 0
})

/** The user at the authorization page; counts the logins it was asked for. */
function user() {
  const asked: string[] = []
  return {
    asked,
    authorize: async (url: string) => {
      asked.push(url)
      return as.authorize(url)
    },
  }
}

function auth(options: Partial<McpOAuthOptions> & { authorize?: McpOAuthOptions['authorize'] }, server = mcp.url): McpOAuth {
  return new McpOAuth({ server, client: { clientId: CLIENT_ID }, redirectUri: REDIRECT_URI, ...options })
}

async function connect(a: McpOAuth, server = mcp.url): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(server), { fetch: a.fetch }))
  return client
}

async function whoami(client: Client): Promise<string> {
  const result = await client.callTool({ name: 'whoami', arguments: {} })
  return (result.content as { text: string }[])[0]!.text
}

describe('McpOAuth with the MCP SDK and oidc-provider', () => {
  it('logs in once on the first 401, saves the login under its issuer and resource (mode 0600), and calls tools', async () => {
    const dir = tempDir()
    const u = user()
    const a = auth({ logins: fileLogins(dir), authorize: u.authorize })
    const client = await connect(a)
    expect(await whoami(client)).toBe('user-1')
    expect(await whoami(client)).toBe('user-1')
    expect(u.asked).toHaveLength(1)
    // The authorization request named the resource (RFC 8707) and the scopes the server publishes.
    const asked = new URL(u.asked[0]!).searchParams
    expect(asked.get('resource')).toBe(mcp.url)
    expect(asked.get('scope')).toBe('openid offline_access mcp:tools')
    const files = readdirSync(dir)
    const tokenFile = files.find((f) => f.endsWith('.tokens.json'))!
    expect(tokenFile).toMatch(/^127\.0\.0\.1_\d+-[0-9a-f]{16}\.tokens\.json$/)
    expect(statSync(join(dir, tokenFile)).mode & 0o777).toBe(0o600)
    await client.close()
  })

  it('a new process with the same logins signs in from the store: no login, no discovery before the first call', async () => {
    const dir = tempDir()
    const first = user()
    await whoami(await connect(auth({ logins: fileLogins(dir), authorize: first.authorize })))
    const second = user()
    const unauthorizedBefore = mcp.counts.unauthorized
    const client = await connect(auth({ logins: fileLogins(dir), authorize: second.authorize }))
    expect(await whoami(client)).toBe('user-1')
    expect(second.asked).toHaveLength(0)
    // The recorded discovery let the first request carry the stored token: no 401 at all.
    expect(mcp.counts.unauthorized).toBe(unauthorizedBefore)
  })

  it('serves a fresh token before the old one expires: no request is refused after expiry, one refresh', async () => {
    const u = user()
    const a = auth({ authorize: u.authorize })
    const client = await connect(a)
    await whoami(client)
    const refusedBefore = mcp.counts.unauthorized
    const refreshesBefore = as.events.refreshGrants
    await sleep(4_200) // past the 4 s access token's life
    await Promise.all([whoami(client), whoami(client), whoami(client)])
    expect(mcp.counts.unauthorized).toBe(refusedBefore)
    expect(as.events.refreshGrants - refreshesBefore).toBe(1)
    expect(u.asked).toHaveLength(1)
  })

  it('a 401 for a token the server no longer takes refreshes that token once, however many requests it refused', async () => {
    const u = user()
    const a = auth({ authorize: u.authorize })
    const client = await connect(a)
    await whoami(client)
    const manager = (await a.tokenManager())!
    // A token the server never issued, still "valid" by its expiry: only the server's 401 can tell.
    await manager.setTokens({ ...manager.oauthTokens!, accessToken: 'forged-or-revoked' })
    const refreshesBefore = as.events.refreshGrants
    expect(await Promise.all([whoami(client), whoami(client), whoami(client), whoami(client)])).toEqual(['user-1', 'user-1', 'user-1', 'user-1'])
    expect(as.events.refreshGrants - refreshesBefore).toBe(1)
    expect(u.asked).toHaveLength(1)
    expect(as.events.errors).toEqual([])
  })

  it('two holders of one login (another process refreshed and rotated it): the other uses the stored tokens, never the spent refresh token', async () => {
    const dir = tempDir()
    const u = user()
    const a = auth({ logins: fileLogins(dir), authorize: u.authorize })
    const b = auth({ logins: fileLogins(dir), authorize: u.authorize })
    const ca = await connect(a)
    await whoami(ca)
    const cb = await connect(b)
    await whoami(cb) // b now holds the same tokens in memory
    await sleep(4_200)
    await whoami(ca) // a refreshes: the refresh token b holds is now spent
    await whoami(cb) // b must take a's tokens from the store
    expect(u.asked).toHaveLength(1)
    expect(as.events.errors).toEqual([])
    expect(as.events.revoked).toBe(0)
  })

  it('logging out of one server leaves another server\'s login in the same store', async () => {
    const other = await startMcpServer({ issuer: as.issuer })
    try {
      const dir = tempDir()
      const u = user()
      const one = auth({ logins: fileLogins(dir), authorize: u.authorize })
      const two = auth({ logins: fileLogins(dir), authorize: u.authorize }, other.url)
      await whoami(await connect(one))
      await whoami(await connect(two, other.url))
      expect(u.asked).toHaveLength(2)
      expect(readdirSync(dir).filter((f) => f.endsWith('.tokens.json'))).toHaveLength(2)
      await one.logout()
      expect(readdirSync(dir).filter((f) => f.endsWith('.tokens.json'))).toHaveLength(1)
      // The other login still works, without a login.
      await whoami(await connect(auth({ logins: fileLogins(dir), authorize: u.authorize }, other.url), other.url))
      expect(u.asked).toHaveLength(2)
    } finally {
      await other.close()
    }
  })

  it("the terminal login of @oauth/client (loopback redirect) signs an MCP client in, with the resource and the server's scopes", async () => {
    let opened = ''
    const a = auth({
      login: (config) =>
        authorizeInteractive(config, {
          mode: 'automatic',
          output: new PassThrough(),
          // The browser: the user approves, and the authorization server redirects it to the loopback server.
          openBrowser: async (url) => {
            opened = url
            await fetch(await as.authorize(url))
          },
        }),
    })
    expect(await whoami(await connect(a))).toBe('user-1')
    const asked = new URL(opened).searchParams
    expect(asked.get('resource')).toBe(mcp.url)
    expect(asked.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/)
    expect((await a.tokenManager())!.oauthTokens!.refreshToken).toBeTruthy()
  })

  it('a corrupt token file is reported with its path and left in place, never taken for "not logged in"', async () => {
    const dir = tempDir()
    const u = user()
    await whoami(await connect(auth({ logins: fileLogins(dir), authorize: u.authorize })))
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.tokens.json'))!)
    writeFileSync(file, '{ "access_token": ', { mode: 0o600 })
    const a = auth({ logins: fileLogins(dir), authorize: u.authorize })
    await expect(connect(a)).rejects.toMatchObject({ code: TOKEN_STORE_CORRUPT })
    expect(u.asked).toHaveLength(1) // no new login over it
    expect(existsSync(file) && readFileSync(file, 'utf8')).toBe('{ "access_token": ')
  })

  it('keeps tokens out of inspect and JSON', async () => {
    const a = auth(user())
    await whoami(await connect(a))
    const token = (await a.tokenManager())!.oauthTokens!.accessToken
    expect(inspect(a, { depth: 10 })).not.toContain(token)
    expect(JSON.stringify(a)).not.toContain(token)
  })
})

describe('forged and absurd answers', () => {
  /** An MCP endpoint that answers 401 with this resource metadata, always. */
  async function refusingServer(resource: (base: string) => string): Promise<{ url: string; close(): Promise<void> }> {
    let base = ''
    const http: Server = createServer((req, res) => {
      if (req.method === 'GET') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ resource: resource(base), authorization_servers: [as.issuer], scopes_supported: ['mcp:tools'] }))
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer error="invalid_token", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"` }).end('{"error":"invalid_token"}')
    })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
    return { url: `${base}/mcp`, close: () => new Promise((resolve) => http.close(() => resolve())) }
  }
  const post = (a: McpOAuth, url: string) => a.fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' })

  it('resource metadata that names another resource: refused before anything reaches its authorization server', async () => {
    const evil = await refusingServer(() => 'https://evil.example.com/mcp')
    try {
      const u = user()
      const grants = as.events.grants
      await expect(post(auth({ authorize: u.authorize }, evil.url), evil.url)).rejects.toMatchObject({ code: MCP_RESOURCE_MISMATCH })
      expect(u.asked).toHaveLength(0)
      expect(as.events.grants).toBe(grants)
    } finally {
      await evil.close()
    }
  })

  it('a server that refuses every token: one login, one retry, then its 401 is handed back (no login loop)', async () => {
    const wall = await refusingServer((base) => `${base}/mcp`)
    try {
      const u = user()
      const response = await post(auth({ authorize: u.authorize }, wall.url), wall.url)
      expect(response.status).toBe(401)
      expect(u.asked).toHaveLength(1)
    } finally {
      await wall.close()
    }
  })

  it('an authorization response from another issuer (RFC 9207 mix-up): the code is never exchanged', async () => {
    const grants = as.events.grants
    const a = auth({
      authorize: async (url) => {
        const callback = new URL(await as.authorize(url))
        callback.searchParams.set('iss', 'https://evil.example.com') // the server names its issuer (RFC 9207); a mix-up names another
        return callback.href
      },
    })
    await expect(post(a, mcp.url)).rejects.toMatchObject({ code: MCP_ISSUER_MISMATCH })
    expect(as.events.grants).toBe(grants)
  })
})
