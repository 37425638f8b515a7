// Proxies and corporate CAs, for real: tinyproxy (Debian's package) as the forward proxy, and a
// private CA made with openssl whose server certificate Node's default trust store rejects.
import { once } from 'node:events'
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { OAUTH_NETWORK_ERROR, type OAuthConfig } from '@oauth/core'
import { bundleNodeScript, makeLocalCa, runNodeScript, startAnthropicStandIn, startForwardProxy, type ForwardProxy, type LocalCa } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AnthropicOAuth, buildAuthorizationUrl, exchangeCodeForTokens, proxyFetch, refreshAccessToken } from '../src/index.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const tokens = { access_token: 'at-via-proxy-0123456789', refresh_token: 'rt-next-0123456789', expires_in: 3600, token_type: 'Bearer' }
let proxy: ForwardProxy
let ca: LocalCa
let script: string
const seen: IncomingHttpHeaders[] = []
const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
  seen.push(req.headers)
  req.resume()
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify(tokens))
}
let plain: Server
let tls: Server

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

const configFor = (tokenUrl: string): OAuthConfig => ({ clientId: 'proxy-test', authorizeUrl: 'https://id.example/auth', tokenUrl, redirectUri: 'http://127.0.0.1/callback' })

beforeAll(async () => {
  ;[proxy, script] = await Promise.all([startForwardProxy(), bundleNodeScript(join(packageDir, 'test/fixtures/proxy-refresh.ts'), packageDir, ['@anthropic-ai/sdk'])])
  ca = makeLocalCa()
  plain = createHttpServer(handler)
  tls = createHttpsServer({ cert: ca.cert, key: ca.key }, handler)
}, 30_000)
afterAll(async () => {
  plain?.close()
  tls?.close()
  ca?.remove()
  await proxy?.stop()
})

describe('HTTP_PROXY / NO_PROXY', () => {
  it('sends token requests through the proxy the environment names, and straight to hosts in NO_PROXY', async () => {
    const port = await listen(plain)
    const url = `http://127.0.0.1:${port}/token`
    // undici tunnels plain http through the proxy too (CONNECT), so the proxy's log is the witness.
    const tunnels = () => proxy.requests().filter((r) => r === `CONNECT 127.0.0.1:${port}`).length
    seen.length = 0
    await refreshAccessToken('rt-1', configFor(url), { fetch: proxyFetch({ HTTP_PROXY: proxy.url }), retry: false })
    expect(tunnels()).toBe(1)
    await refreshAccessToken('rt-1', configFor(url), { fetch: proxyFetch({ http_proxy: proxy.url, NO_PROXY: '127.0.0.1' }), retry: false })
    expect(tunnels()).toBe(1)
    // No proxy variable: the global fetch, direct.
    await refreshAccessToken('rt-1', configFor(url), { fetch: proxyFetch({}), retry: false })
    expect(tunnels()).toBe(1)
    expect(seen).toHaveLength(3) // each request arrived, once
  })

  it('a proxy that is down is a clear network error, and the request was never sent', async () => {
    const port = await listen(createHttpServer(handler))
    const err = await refreshAccessToken('rt-1', configFor(`http://127.0.0.1:${port}/token`), { fetch: proxyFetch({ HTTP_PROXY: 'http://127.0.0.1:9' }), retry: false }).catch((e: Error) => e)
    expect(err).toMatchObject({ code: OAUTH_NETWORK_ERROR, retryable: true })
  })

  it('a proxy that drops the connection on CONNECT fails the request after one connection per attempt, not a thousand a second (nodejs/undici#3897)', async () => {
    // A forward proxy made with node:http that forwards nothing through tunnels: it has no
    // 'connect' handler, so Node closes the connection when a CONNECT arrives (the proxy of #3897).
    const dropper = createHttpServer((_req, res) => res.writeHead(502).end())
    let connections = 0
    dropper.on('connection', () => connections++)
    const port = await listen(dropper)
    try {
      const err = await refreshAccessToken('rt-1', configFor('https://127.0.0.1:8443/token'), {
        fetch: proxyFetch({ HTTPS_PROXY: `http://127.0.0.1:${port}` }),
        retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
        timeoutMs: 10_000,
      }).catch((e: Error) => e)
      expect(err).toMatchObject({ code: OAUTH_NETWORK_ERROR, retryable: true })
      // Nothing reached the server: the message must not say the request may have been processed.
      expect((err as Error).message).not.toMatch(/may have been/)
      expect(connections).toBe(3) // one per attempt: the first and two retries
    } finally {
      dropper.close()
    }
  }, 30_000)

  it('a proxy that refuses the tunnel (403) is a network error that says so, and nothing was sent', async () => {
    const refusing = createHttpServer()
    refusing.on('connect', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n'))
    const port = await listen(refusing)
    try {
      const err = await refreshAccessToken('rt-1', configFor('https://127.0.0.1:8443/token'), { fetch: proxyFetch({ HTTPS_PROXY: `http://127.0.0.1:${port}` }), retry: false }).catch((e: Error) => e)
      expect(err).toMatchObject({ code: OAUTH_NETWORK_ERROR, retryable: false, message: expect.stringContaining('The proxy refused to open a tunnel to the token endpoint https://127.0.0.1:8443 (HTTP 403)') })
      expect((err as Error).message).not.toMatch(/may have been/)
    } finally {
      refusing.close()
    }
  })

  it('AnthropicOAuth sends both its refresh and its API calls through the proxy by default', async () => {
    const standIn = await startAnthropicStandIn()
    const saved = process.env.HTTP_PROXY
    try {
      const { url, oauthState } = await buildAuthorizationUrl(standIn.config)
      const code = standIn.issueCode(new URL(url).searchParams.get('code_challenge')!, oauthState.state)
      const login = await exchangeCodeForTokens(code, oauthState.state, oauthState, standIn.config)
      process.env.HTTP_PROXY = proxy.url
      const client = new AnthropicOAuth({ oauthTokens: { ...login, expiresAt: Date.now() - 1000 }, oauthConfig: standIn.config, baseURL: standIn.url, maxRetries: 0 })
      standIn.apiRequests.length = 0
      standIn.tokenRequests.length = 0
      const before = proxy.requests().length
      await client.models.list()
      expect(standIn.tokenRequests).toHaveLength(1)
      expect(standIn.apiRequests).toHaveLength(1)
      // A tunnel to the token endpoint's host and one to the API's (the proxy's log is the witness).
      const tunnels = proxy.requests().slice(before)
      for (const target of [new URL(standIn.config.tokenUrl), new URL(standIn.url)]) expect(tunnels).toContain(`CONNECT ${target.hostname}:${target.port}`)
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY
      else process.env.HTTP_PROXY = saved
      await standIn.close()
    }
  }, 30_000)
})

describe('HTTPS_PROXY with a corporate CA (NODE_EXTRA_CA_CERTS)', () => {
  it('tunnels through the proxy; a certificate from an unknown CA is refused with advice, and trusted once NODE_EXTRA_CA_CERTS names the CA', async () => {
    const port = await listen(tls)
    // By address, not `localhost`: a bare root may have no /etc/hosts, and the proxy resolves the name.
    const config = JSON.stringify(configFor(`https://127.0.0.1:${port}/token`))
    const env = { ...process.env, HTTPS_PROXY: proxy.url, NO_PROXY: '', no_proxy: '', NODE_EXTRA_CA_CERTS: '' }
    const untrusted = JSON.parse((await runNodeScript(process.execPath, [script, config], { env, timeout: 20_000 })).stdout.trim().split('\n').at(-1)!)
    expect(untrusted).toMatchObject({ ok: false, code: OAUTH_NETWORK_ERROR })
    expect(untrusted.message).toMatch(/not trusted .*NODE_EXTRA_CA_CERTS/)
    seen.length = 0
    const trusted = JSON.parse((await runNodeScript(process.execPath, [script, config], { env: { ...env, NODE_EXTRA_CA_CERTS: ca.caFile }, timeout: 20_000 })).stdout.trim().split('\n').at(-1)!)
    expect(trusted).toEqual({ ok: true, accessToken: tokens.access_token })
    expect(seen).toHaveLength(1)
    // Both went through the tunnel: the proxy saw two CONNECTs to the server.
    expect(proxy.requests().filter((r) => r === `CONNECT 127.0.0.1:${port}`)).toHaveLength(2)
  }, 60_000)
})
