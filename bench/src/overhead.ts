// 2. Per-request overhead of OAuth against a local server that answers at once.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Anthropic } from '@anthropic-ai/sdk'
import { AnthropicOAuth, DEFAULT_OAUTH_BETAS, DEFAULT_USER_AGENT, TokenManager, type OAuthTokens } from '@oauth/client'
import { fmt, median, percentile, table } from './stats.js'

export async function benchOverhead(quick: boolean): Promise<string> {
  const body = JSON.stringify({ data: [], has_more: false, first_id: null, last_id: null })
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const tokens: OAuthTokens = { accessToken: 'sk-ant-oat01-bench', refreshToken: 'rt', expiresAt: Date.now() + 3_600_000, tokenType: 'Bearer', scope: '' }
  // The like-for-like baseline sends what AnthropicOAuth sends (betas, user agent, beta=true), so
  // the ratio measures our code, not the wire format the Anthropic preset requires.
  const sameWire = { defaultHeaders: { 'anthropic-beta': DEFAULT_OAUTH_BETAS.join(','), 'user-agent': DEFAULT_USER_AGENT }, defaultQuery: { beta: 'true' } }
  const clients: [string, Anthropic][] = [
    ['plain SDK, static `authToken`, same headers and query (baseline)', new Anthropic({ authToken: tokens.accessToken, baseURL, maxRetries: 0, ...sameWire })],
    ['plain SDK, static `authToken`, no OAuth headers', new Anthropic({ authToken: tokens.accessToken, baseURL, maxRetries: 0 })],
    ['plain SDK, `credentials: manager.provider`', new Anthropic({ credentials: new TokenManager({ oauthTokens: tokens }).provider, baseURL, maxRetries: 0 })],
    ['`AnthropicOAuth`', new AnthropicOAuth({ oauthTokens: tokens, baseURL, maxRetries: 0 })],
  ]
  const requests = quick ? 200 : 3000
  const rounds = quick ? 2 : 5
  const samples = new Map<string, number[]>(clients.map(([name]) => [name, []]))
  const rates = new Map<string, number[]>(clients.map(([name]) => [name, []]))
  for (const [, c] of clients) for (let i = 0; i < 100; i++) await c.models.list() // warm-up
  // Interleaved rounds, so drift on the machine hits every client alike.
  for (let round = 0; round < rounds; round++) {
    for (const [name, client] of clients) {
      const start = performance.now()
      for (let i = 0; i < requests; i++) {
        const t = performance.now()
        await client.models.list()
        samples.get(name)!.push((performance.now() - t) * 1000)
      }
      rates.get(name)!.push((requests * 1000) / (performance.now() - start))
    }
  }
  server.close()
  const base = samples.get(clients[0]![0])!
  const baseRate = median(rates.get(clients[0]![0])!)
  const rows = clients.map(([name]) => {
    const s = samples.get(name)!
    const rate = median(rates.get(name)!)
    return [name, fmt(rate), fmt(rate / baseRate, 3), fmt(percentile(s, 50)), fmt(percentile(s, 50) - percentile(base, 50)), fmt(percentile(s, 99) - percentile(base, 99))]
  })
  return [
    '## 2. Per-request overhead',
    `Sequential \`models.list()\` against a local server that answers at once: ${rounds} interleaved rounds of ${requests} requests per client. The baseline is the plain SDK sending the same headers and query as \`AnthropicOAuth\`. Target: within 3 % of the plain SDK.`,
    table(['client', 'requests/s (median round)', 'ratio to baseline', 'p50 µs', 'added µs p50', 'added µs p99'], rows),
  ].join('\n\n')
}
