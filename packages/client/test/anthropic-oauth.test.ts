// AnthropicOAuth against a local stand-in for Anthropic's token endpoint and Messages API,
// which records every request it receives.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { Anthropic } from '@anthropic-ai/sdk'
import { startAnthropicStandIn, type AnthropicStandIn } from '@oauth/test-utils'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  AnthropicOAuth,
  DEFAULT_OAUTH_BETAS,
  DEFAULT_USER_AGENT,
  exchangeCodeForTokens,
  buildAuthorizationUrl,
} from '../src/index.js'
import { Accounts, TokenManager, TokenStorage, type OAuthTokens } from '../src/index.js'

let standIn: AnthropicStandIn
const dir = mkdtempSync(join(tmpdir(), 'oauth-client-'))
const savedEnv = { ...process.env }

beforeAll(async () => {
  standIn = await startAnthropicStandIn()
})
afterAll(async () => {
  await standIn.close()
  rmSync(dir, { recursive: true, force: true })
})
beforeEach(() => {
  standIn.apiRequests.length = 0
  standIn.tokenRequests.length = 0
  standIn.accessTokenTtlSeconds = 3600
  standIn.rejectNext(0)
})
afterEach(() => {
  process.env = { ...savedEnv }
})

const refreshes = () => standIn.tokenRequests.filter((r) => (r.body as { grant_type?: string }).grant_type === 'refresh_token')

/** A real login against the stand-in: PKCE, the consent page's code (for `email`), the preset's JSON exchange. */
async function login(email?: string): Promise<OAuthTokens> {
  const { url, oauthState } = await buildAuthorizationUrl(standIn.config)
  const params = new URL(url).searchParams
  const code = standIn.issueCode(params.get('code_challenge')!, params.get('state')!, undefined, undefined, email)
  return exchangeCodeForTokens(code, oauthState.state, oauthState, standIn.config)
}

function client(tokens: OAuthTokens, extra: Record<string, unknown> = {}) {
  return new AnthropicOAuth({ oauthTokens: tokens, oauthConfig: standIn.config, baseURL: standIn.url, maxRetries: 0, ...extra })
}

function expectOAuthHeaders(headers: Record<string, unknown>, token: string, extraBetas: string[] = []) {
  expect(headers.authorization).toBe(`Bearer ${token}`)
  expect(headers['x-api-key']).toBeUndefined()
  expect(headers['user-agent']).toBe(DEFAULT_USER_AGENT)
  const betas = String(headers['anthropic-beta']).split(',')
  expect(betas).toEqual(expect.arrayContaining([...DEFAULT_OAUTH_BETAS, 'oauth-2025-04-20', ...extraBetas]))
  expect(new Set(betas).size).toBe(betas.length)
}

describe('AnthropicOAuth', () => {
  it('messages.create carries the bearer token, the betas, the user agent and beta=true', async () => {
    const tokens = await login()
    const message = await client(tokens).messages.create({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] })
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Hello from the stand-in' })
    const [req] = standIn.apiRequests
    expect(req).toMatchObject({ method: 'POST', path: '/v1/messages', query: { beta: 'true' } })
    expectOAuthHeaders(req!.headers, tokens.accessToken)
  })

  it('streams a message', async () => {
    const tokens = await login()
    const stream = client(tokens).messages.stream({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] })
    expect(await stream.finalText()).toBe('Hello from the stand-in')
    expect(standIn.apiRequests[0]!.query.beta).toBe('true')
    expectOAuthHeaders(standIn.apiRequests[0]!.headers, tokens.accessToken)
  })

  it('lists models, counts tokens and lists batches with the same headers', async () => {
    const tokens = await login()
    const c = client(tokens)
    const models = await c.models.list()
    expect(models.data.map((m) => m.id)).toEqual(['claude-test'])
    expect((await c.messages.countTokens({ model: 'claude-test', messages: [{ role: 'user', content: 'Hi' }] })).input_tokens).toBe(42)
    await c.messages.batches.list()
    expect(standIn.apiRequests.map((r) => `${r.method} ${r.path}?beta=${r.query.beta}`)).toEqual([
      'GET /v1/models?beta=true',
      'POST /v1/messages/count_tokens?beta=true',
      'GET /v1/messages/batches?beta=true',
    ])
    for (const r of standIn.apiRequests) expectOAuthHeaders(r.headers, tokens.accessToken)
  })

  it('merges per-request betas on beta.messages.create with its own', async () => {
    const tokens = await login()
    await client(tokens).beta.messages.create({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }], betas: ['files-api-2025-04-14'] })
    expectOAuthHeaders(standIn.apiRequests[0]!.headers, tokens.accessToken, ['files-api-2025-04-14'])
    expect(String(standIn.apiRequests[0]!.headers['anthropic-beta']).split(',')[0]).toBe('files-api-2025-04-14')
  })

  it('always sends the OAuth beta, even with a custom beta list', async () => {
    const tokens = await login()
    await client(tokens, { betas: ['some-beta-2025-01-01'] }).models.list()
    expect(String(standIn.apiRequests[0]!.headers['anthropic-beta']).split(',').sort()).toEqual(['oauth-2025-04-20', 'some-beta-2025-01-01'])
  })

  it('never sends x-api-key, even with ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN and ANTHROPIC_CUSTOM_HEADERS set', async () => {
    process.env.ANTHROPIC_API_KEY = 'sk-ant-api03-LEAK'
    process.env.ANTHROPIC_AUTH_TOKEN = 'sk-ant-LEAK-auth'
    process.env.ANTHROPIC_CUSTOM_HEADERS = 'X-Api-Key: sk-ant-api03-LEAK2\nX-Custom: kept'
    const tokens = await login()
    await client(tokens, { defaultHeaders: { 'x-api-key': 'sk-ant-api03-LEAK3' } }).messages.create({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] })
    const { headers } = standIn.apiRequests[0]!
    expectOAuthHeaders(headers, tokens.accessToken)
    expect(headers['x-custom']).toBe('kept')
    expect(JSON.stringify(headers)).not.toContain('LEAK')
  })

  it('our bearer token always wins over an Authorization header from ANTHROPIC_CUSTOM_HEADERS, defaultHeaders or the request', async () => {
    process.env.ANTHROPIC_CUSTOM_HEADERS = 'Authorization: Bearer from-env'
    const tokens = await login()
    const c = client(tokens, { defaultHeaders: { Authorization: 'Bearer from-defaults' } })
    await c.messages.create({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }, { headers: { Authorization: 'Bearer from-request' } })
    await c.withOptions({ defaultHeaders: { authorization: 'Bearer from-clone' } }).models.list()
    for (const request of standIn.apiRequests) expect(request.headers.authorization).toBe(`Bearer ${tokens.accessToken}`)
    expect(refreshes()).toHaveLength(0) // no 401, so no refresh spent for nothing
  })

  it('refuses an API key or auth token beside OAuth', () => {
    expect(() => new AnthropicOAuth({ apiKey: 'sk-ant-api03-x' } as never)).toThrow(/cannot be combined/)
  })

  it('withOptions keeps the OAuth state and shares one token manager', async () => {
    const tokens = await login()
    const parent = client(tokens, { betas: ['some-beta-2025-01-01'], userAgent: 'my-tool/1.0' })
    const clone = parent.withOptions({ timeout: 5_000 })
    expect(clone).toBeInstanceOf(AnthropicOAuth)
    expect(clone.tokenManager).toBe(parent.tokenManager)
    expect(clone.timeout).toBe(5_000)
    await clone.models.list()
    const { headers, query } = standIn.apiRequests[0]!
    expect(query.beta).toBe('true')
    expect(headers.authorization).toBe(`Bearer ${tokens.accessToken}`)
    expect(headers['user-agent']).toBe('my-tool/1.0')
    expect(String(headers['anthropic-beta'])).toContain('some-beta-2025-01-01')
  })

  it('after a 401 refreshes once and retries once', async () => {
    const tokens = await login()
    // The SDK's retry after a 401 is one of its maxRetries (default 2).
    const c = client(tokens, { maxRetries: 2 })
    standIn.rejectNext(1)
    await c.models.list()
    expect(refreshes()).toHaveLength(1)
    expect(refreshes()[0]!.body).toMatchObject({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken })
    expect(standIn.apiRequests).toHaveLength(2)
    expect(standIn.apiRequests[0]!.headers.authorization).toBe(`Bearer ${tokens.accessToken}`)
    expect(standIn.apiRequests[1]!.headers.authorization).toBe(`Bearer ${c.oauthTokens!.accessToken}`)
    expect(c.oauthTokens!.accessToken).not.toBe(tokens.accessToken)
  })

  it("one path for the token: one read of the manager per attempt, and the SDK's own token cache is never asked", async () => {
    const tokens = await login()
    const manager = new TokenManager({ oauthTokens: tokens, oauthConfig: standIn.config })
    const asked: string[] = []
    const getAccessToken = manager.getAccessToken.bind(manager)
    const provider = manager.provider
    manager.getAccessToken = (...args) => (asked.push('getAccessToken'), getAccessToken(...args))
    // What the SDK's TokenCache would call to fill itself.
    Object.defineProperty(manager, 'provider', { get: () => (opts?: { forceRefresh?: boolean }) => (asked.push('provider'), provider(opts)) })
    const c = client(tokens, { tokenManager: manager, maxRetries: 2 })
    await c.models.list()
    expect(asked).toEqual(['getAccessToken'])
    // A token the manager got elsewhere (another client's refresh) is sent by the next request.
    await manager.refresh({ failedAccessToken: tokens.accessToken })
    await c.models.list()
    expect(standIn.apiRequests[1]!.headers.authorization).toBe(`Bearer ${manager.oauthTokens!.accessToken}`)
    expect(asked).toEqual(['getAccessToken', 'getAccessToken'])
  })

  it('a request options object used twice gets its own refresh after a 401 each time', async () => {
    const tokens = await login()
    const c = client(tokens, { maxRetries: 2 })
    const options = { method: 'get' as const, path: '/v1/models' }
    standIn.rejectNext(1)
    await c.request(options)
    expect(refreshes()).toHaveLength(1)
    standIn.rejectNext(1)
    await c.request(options)
    expect(refreshes()).toHaveLength(2)
    expect(standIn.apiRequests.at(-1)!.headers.authorization).toBe(`Bearer ${c.oauthTokens!.accessToken}`)
  })

  it('answers a second 401 with the error, after exactly one refresh', async () => {
    const tokens = await login()
    standIn.rejectNext(5)
    await expect(client(tokens, { maxRetries: 2 }).models.list()).rejects.toMatchObject({ status: 401 })
    expect(refreshes()).toHaveLength(1)
  })

  it('makes one refresh for 100 concurrent requests with an expired token, and persists it', async () => {
    const tokens = await login()
    const path = join(dir, 'concurrent.json')
    const store = new TokenStorage({ path })
    await store.save({ ...tokens, expiresAt: Date.now() - 1000 })
    const c = AnthropicOAuth.fromStorage(path, { oauthConfig: standIn.config, baseURL: standIn.url, maxRetries: 0 })
    const results = await Promise.all(
      Array.from({ length: 100 }, () => c.messages.create({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] })),
    )
    expect(results).toHaveLength(100)
    expect(refreshes()).toHaveLength(1)
    const saved = await store.load()
    expect(saved!.accessToken).toBe(c.oauthTokens!.accessToken)
    expect(new Set(standIn.apiRequests.map((r) => r.headers.authorization))).toEqual(new Set([`Bearer ${saved!.accessToken}`]))
  })

  it("one rule for 'expiring': a token with 200 s left (inside the 300 s buffer, outside the SDK's 120 s) is replaced by the next request", async () => {
    const tokens = await login()
    // Issued long ago, 200 s left: the manager's buffer (300 s) says expiring; the SDK's own
    // cache alone would keep serving it for another 80 s.
    const c = client({ ...tokens, issuedAt: undefined, expiresAt: Date.now() + 200_000 })
    const ask = () => c.messages.create({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] })
    await ask() // served at once, with the refresh started in the background
    await new Promise((resolve) => setTimeout(resolve, 200))
    await ask()
    expect(refreshes()).toHaveLength(1)
    expect(standIn.apiRequests[0]!.headers.authorization).toBe(`Bearer ${tokens.accessToken}`)
    expect(standIn.apiRequests[1]!.headers.authorization).toBe(`Bearer ${c.oauthTokens!.accessToken}`)
    expect(c.oauthTokens!.accessToken).not.toBe(tokens.accessToken)
  })

  it("the same rule through the plain SDK's token cache: new Anthropic({ credentials: manager.provider }) replaces a token with 200 s left", async () => {
    const tokens = await login()
    const manager = new TokenManager({ oauthTokens: { ...tokens, issuedAt: undefined, expiresAt: Date.now() + 200_000 }, oauthConfig: standIn.config })
    const sdk = new Anthropic({ credentials: manager.provider, baseURL: standIn.url, maxRetries: 0, defaultHeaders: { 'anthropic-beta': 'oauth-2025-04-20' } })
    const ask = () => sdk.messages.create({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] })
    await ask()
    await new Promise((resolve) => setTimeout(resolve, 200))
    await ask()
    expect(refreshes()).toHaveLength(1)
    // Without the provider's correction the SDK would have kept the old token until 120 s were left.
    expect(standIn.apiRequests[1]!.headers.authorization).toBe(`Bearer ${manager.oauthTokens!.accessToken}`)
    expect(manager.oauthTokens!.accessToken).not.toBe(tokens.accessToken)
  })

  it('fromEnv reads the environment tokens', async () => {
    const tokens = await login()
    const c = AnthropicOAuth.fromEnv({ env: { ANTHROPIC_OAUTH_ACCESS_TOKEN: tokens.accessToken, ANTHROPIC_REFRESH_TOKEN: tokens.refreshToken! }, oauthConfig: standIn.config, baseURL: standIn.url })
    await c.models.list()
    expect(standIn.apiRequests[0]!.headers.authorization).toBe(`Bearer ${tokens.accessToken}`)
    expect(() => AnthropicOAuth.fromEnv({ env: {} })).toThrow(expect.objectContaining({ code: 'OAUTH_NOT_LOGGED_IN' }))
  })

  it('fromStorage on an empty store says to log in, without calling the API', async () => {
    const c = AnthropicOAuth.fromStorage(join(dir, 'missing.json'), { baseURL: standIn.url, maxRetries: 0 })
    await expect(c.models.list()).rejects.toThrow(/log in/i)
    expect(standIn.apiRequests).toHaveLength(0)
  })

  it('fromStorage({ account }) calls the API as that account, and an unknown account fails before any call', async () => {
    const accounts = new Accounts({ dir: join(dir, 'accounts-home') })
    for (const [name, email] of [['personal', 'dev@example.com'], ['work', 'work@example.com']] as const) {
      await accounts.open({ name, store: 'file' }).save(await login(email))
      await accounts.add(name)
    }
    const work = AnthropicOAuth.fromStorage({ account: 'work', dir: accounts.dir }, { oauthConfig: standIn.config, baseURL: standIn.url, maxRetries: 0 })
    await work.models.list()
    expect(standIn.accountOf(String(standIn.apiRequests[0]!.headers.authorization).replace('Bearer ', ''))).toBe('work@example.com')
    const nope = AnthropicOAuth.fromStorage({ account: 'nope', dir: accounts.dir }, { baseURL: standIn.url, maxRetries: 0 })
    await expect(nope.models.list()).rejects.toMatchObject({ code: 'OAUTH_NOT_LOGGED_IN', message: expect.stringContaining('No account named "nope" (accounts: personal, work)') })
    expect(standIn.apiRequests).toHaveLength(1)
  })

  it('fromStorage() opens the login the CLI would: ANTHROPIC_OAUTH_ACCOUNT, else the default account that `accounts use` chose', async () => {
    const home = join(dir, 'follow-home')
    process.env.HOME = home
    const accounts = new Accounts() // ~/.anthropic under this HOME, as the CLI's
    for (const [name, email] of [['personal', 'dev@example.com'], ['work', 'work@example.com']] as const) {
      await accounts.open({ name, store: 'file' }).save(await login(email))
      await accounts.add(name, 'file', { config: standIn.config })
    }
    await accounts.use('work') // only named accounts: no ~/.anthropic/oauth_tokens.json
    const who = async () => {
      standIn.apiRequests.length = 0
      await AnthropicOAuth.fromStorage(undefined, { oauthConfig: standIn.config, baseURL: standIn.url, maxRetries: 0 }).models.list()
      return standIn.accountOf(String(standIn.apiRequests[0]!.headers.authorization).replace('Bearer ', ''))
    }
    expect(await who()).toBe('work@example.com')
    process.env.ANTHROPIC_OAUTH_ACCOUNT = 'personal'
    expect(await who()).toBe('dev@example.com')
  })

  it("an account logged in at another server is refused before its tokens are sent anywhere", async () => {
    const accounts = new Accounts({ dir: join(dir, 'corp-home') })
    const corp = { clientId: 'corp-cli', authorizeUrl: 'https://id.corp.example/auth', tokenUrl: 'https://id.corp.example/token', redirectUri: 'http://127.0.0.1/cb', issuer: 'https://id.corp.example' }
    await accounts.open({ name: 'corp', store: 'file' }).save({ ...(await login()), expiresAt: Date.now() - 1000 })
    await accounts.add('corp', 'file', { config: corp })
    standIn.tokenRequests.length = 0
    const c = AnthropicOAuth.fromStorage({ account: 'corp', dir: accounts.dir }, { oauthConfig: standIn.config, baseURL: standIn.url, maxRetries: 0 })
    await expect(c.models.list()).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('Account "corp" belongs to https://id.corp.example (client corp-cli)') })
    expect(standIn.apiRequests).toHaveLength(0)
    expect(standIn.tokenRequests).toHaveLength(0)
  })

  it('keeps tokens out of JSON.stringify and util.inspect of the client', async () => {
    const tokens = await login()
    const c = client(tokens)
    await c.models.list()
    const shown = `${JSON.stringify(c)}\n${inspect(c, { depth: 8 })}\n${inspect(c.withOptions({}), { depth: 8 })}`
    expect(shown).not.toContain(tokens.accessToken)
    expect(shown).not.toContain(tokens.refreshToken)
  })
})

