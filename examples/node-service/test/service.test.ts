// The service as deployed: its cluster workers share one login, through a file and
// through Redis, and an expired token is refreshed once for all of them.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildAuthorizationUrl, exchangeCodeForTokens, TokenStorage, type OAuthTokens, type TokenStore } from '@oauth/client'
import { RedisTokenStore } from '@oauth/storage-redis'
import { freePort, startAnthropicStandIn, startRedisServer, type AnthropicStandIn, type RedisServer } from '@oauth/test-utils'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const exampleDir = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'oauth-service-'))
let standIn: AnthropicStandIn
let redis: RedisServer
const configPath = join(dir, 'config.json')

beforeAll(async () => {
  standIn = await startAnthropicStandIn()
  redis = await startRedisServer()
  writeFileSync(configPath, JSON.stringify(standIn.config))
}, 30_000)
afterAll(async () => {
  await standIn.close()
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function expiredLogin(): Promise<OAuthTokens> {
  const { url, oauthState } = await buildAuthorizationUrl(standIn.config)
  const code = standIn.issueCode(new URL(url).searchParams.get('code_challenge')!, oauthState.state)
  return { ...(await exchangeCodeForTokens(code, oauthState.state, oauthState, standIn.config)), expiresAt: Date.now() - 1000 }
}

async function startService(env: NodeJS.ProcessEnv): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn('pnpm', ['start'], {
    cwd: exampleDir,
    env: { ...process.env, PORT: String(port), WORKERS: '2', ANTHROPIC_BASE_URL: standIn.url, ANTHROPIC_OAUTH_CONFIG_FILE: configPath, ...env },
    stdio: 'ignore',
    detached: true,
  })
  const deadline = Date.now() + 30_000
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)
    if (ok) return { port, child }
    if (Date.now() > deadline) throw new Error('the service did not start')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function exercise(store: TokenStore, env: NodeJS.ProcessEnv) {
  await store.save(await expiredLogin())
  const refreshesBefore = standIn.tokenRequests.filter((r) => (r.body as { grant_type?: string }).grant_type === 'refresh_token').length
  const { port, child } = await startService(env)
  try {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => fetch(`http://127.0.0.1:${port}/ask?q=question-${i}`).then(async (r) => ({ status: r.status, body: await r.json() }))),
    )
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200))
    expect(new Set(answers.map((a) => a.body.answer))).toEqual(new Set(['Hello from the stand-in']))
    const refreshes = standIn.tokenRequests.filter((r) => (r.body as { grant_type?: string }).grant_type === 'refresh_token').length - refreshesBefore
    expect(refreshes).toBe(1) // both workers, one refresh
    expect((await store.load())!.accessToken).toBe(String(standIn.apiRequests.at(-1)!.headers.authorization).replace('Bearer ', ''))
  } finally {
    process.kill(-child.pid!, 'SIGTERM')
  }
}

describe('examples/node-service', () => {
  it('shares one login between its workers through the token file', async () => {
    const file = join(dir, 'tokens.json')
    await exercise(new TokenStorage({ path: file }), { TOKEN_FILE: file })
  }, 60_000)

  it('shares one login between its workers through Redis', async () => {
    const client = new Redis(redis.url)
    try {
      await exercise(new RedisTokenStore({ client, key: 'node-service:oauth' }), { REDIS_URL: redis.url })
    } finally {
      await client.quit()
    }
  }, 60_000)
})
