// An HTTP service that answers questions with Claude, signed in with OAuth.
// Its workers (node:cluster) share one login: through the token file (default
// ~/.anthropic/oauth_tokens.json, written by `anthropic-oauth login`), or through Redis
// when REDIS_URL is set. Refreshes happen under the store's lock, once per expiry.
//
//   PORT=8080 WORKERS=2 pnpm --filter @oauth/example-node-service start
//   curl 'http://127.0.0.1:8080/ask?q=Hello'
import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { AnthropicOAuth, OAUTH_NOT_LOGGED_IN, TokenStorage, type OAuthConfig, type TokenStore } from '@oauth/client'
import { RedisTokenStore } from '@oauth/storage-redis'
import { Redis } from 'ioredis'

const port = Number(process.env.PORT ?? 8080)
const workers = Number(process.env.WORKERS ?? 2)

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork()
  cluster.on('exit', (worker, code) => console.log(`worker ${worker.process.pid} exited (${code})`))
  console.log(`listening on http://127.0.0.1:${port} with ${workers} workers`)
} else {
  const store: TokenStore = process.env.REDIS_URL
    ? new RedisTokenStore({ client: new Redis(process.env.REDIS_URL), key: 'node-service:oauth' })
    : new TokenStorage({ path: process.env.TOKEN_FILE })
  // Another OAuth server than Anthropic's: ANTHROPIC_OAUTH_CONFIG_FILE=<config.json>. The API's
  // base URL comes from ANTHROPIC_BASE_URL, as for the plain SDK.
  const oauthConfig = process.env.ANTHROPIC_OAUTH_CONFIG_FILE ? (JSON.parse(readFileSync(process.env.ANTHROPIC_OAUTH_CONFIG_FILE, 'utf8')) as OAuthConfig) : undefined
  const client = AnthropicOAuth.fromStorage(store, { oauthConfig })

  createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
    if (url.pathname === '/healthz') return void res.end('ok')
    if (url.pathname !== '/ask') return void res.writeHead(404).end()
    try {
      const message = await client.messages.create({
        model: process.env.MODEL ?? 'claude-sonnet-4-5',
        max_tokens: 300,
        messages: [{ role: 'user', content: url.searchParams.get('q') ?? 'Hello' }],
      })
      const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ answer: text, worker: process.pid }))
    } catch (err) {
      // The error says what happened (not logged in, rate limited, …); it never contains a token.
      const status = (err as { code?: string }).code === OAUTH_NOT_LOGGED_IN ? 401 : 502
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (err as Error).message }))
    }
  }).listen(port, '127.0.0.1')
}
