// The Anthropic account endpoints (profile, usage, API-key creation): against the stand-in,
// and against a local server giving the absurd answers a careless client would mishandle.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import {
  buildAuthorizationUrl,
  OAUTH_API_ERROR,
  OAUTH_NETWORK_ERROR,
  OAUTH_RATE_LIMITED,
  OAUTH_RESPONSE_LOST,
  OAUTH_SCOPE_INSUFFICIENT,
  OAUTH_SERVER_ERROR,
  parseAuthCode,
} from '@oauth/core'
import { startAnthropicStandIn, type AnthropicStandIn } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exchangeCodeForTokens, OAuthHttpError } from '@oauth/http'
import { createAnthropicApiKey, fetchAnthropicProfile, fetchAnthropicUsage } from '../src/index.js'

let standIn: AnthropicStandIn
let odd: Server
let oddUrl: string
let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end()

beforeAll(async () => {
  standIn = await startAnthropicStandIn()
  odd = createServer((req, res) => answer(req, res))
  await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve))
  oddUrl = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`
})
afterAll(async () => {
  await standIn.close()
  odd.closeAllConnections()
  await new Promise((resolve) => odd.close(resolve))
})

async function signIn(email: string, scopes?: string): Promise<string> {
  const config = { ...standIn.config, ...(scopes ? { scopes } : {}), authorizeParams: { code: 'true', prompt: 'select_account' } }
  const { url, oauthState } = await buildAuthorizationUrl(config)
  const { code, state } = parseAuthCode(await standIn.approve(url, { account: email }))
  return (await exchangeCodeForTokens(code, state, oauthState, config)).accessToken
}

const odds = (status: number, body: string, headers: Record<string, string> = {}) => {
  answer = (_req, res) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body)
}

describe('against the stand-in', () => {
  it('profile and usage: the account, its plan, and the windows in order (5-hour, 7-day, then per model)', async () => {
    const token = await signIn('dev@example.com')
    const profile = await fetchAnthropicProfile(token, { baseUrl: standIn.url })
    expect(profile).toEqual({
      email: 'dev@example.com',
      displayName: 'Dev',
      accountUuid: 'acct-0001',
      organization: { uuid: 'org-0001', name: 'Stand-in Org', type: 'claude_max', rateLimitTier: 'default_claude_max_5x', billingType: 'stripe_subscription' },
      subscription: 'max',
    })
    const usage = await fetchAnthropicUsage(token, { baseUrl: standIn.url })
    expect(usage.windows.map((w) => [w.id, w.label, w.utilization])).toEqual([
      ['five_hour', '5-hour', 42],
      ['seven_day', '7-day', 18],
      ['seven_day_opus', '7-day Opus', 61],
    ])
    expect(usage.extraUsage).toEqual({ enabled: false, utilization: null })
    expect((await fetchAnthropicProfile(await signIn('work@example.com'), { baseUrl: standIn.url })).subscription).toBe('team')
  })

  it('honours ANTHROPIC_BASE_URL when no base URL is given, as the SDK does', async () => {
    const token = await signIn('dev@example.com')
    const saved = process.env.ANTHROPIC_BASE_URL
    process.env.ANTHROPIC_BASE_URL = `${standIn.url}/`
    try {
      expect((await fetchAnthropicProfile(token)).email).toBe('dev@example.com')
    } finally {
      if (saved === undefined) delete process.env.ANTHROPIC_BASE_URL
      else process.env.ANTHROPIC_BASE_URL = saved
    }
  })

  it('an inference-only token: OAUTH_SCOPE_INSUFFICIENT with the scopes asked for, not retryable, no token in the message', async () => {
    const token = await signIn('dev@example.com', 'user:inference')
    const err = await fetchAnthropicProfile(token, { baseUrl: standIn.url }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OAuthHttpError)
    expect(err).toMatchObject({ code: OAUTH_SCOPE_INSUFFICIENT, status: 403, retryable: false, requiredScopes: ['user:profile', 'user:office'] })
    expect((err as Error).message).not.toContain(token)
    await expect(fetchAnthropicUsage(token, { baseUrl: standIn.url })).rejects.toMatchObject({ code: OAUTH_SCOPE_INSUFFICIENT, requiredScopes: ['user:profile'] })
    await expect(createAnthropicApiKey(token, { baseUrl: standIn.url })).rejects.toMatchObject({ code: OAUTH_SCOPE_INSUFFICIENT, requiredScopes: ['org:create_api_key'] })
  })

  it('a Console login gets a key that never shows in JSON, inspect or a template string', async () => {
    const key = await createAnthropicApiKey(await signIn('console@example.com'), { baseUrl: standIn.url })
    expect(key.value).toMatch(/^sk-ant-api03-/)
    for (const shown of [JSON.stringify(key), inspect(key, { depth: 5, showHidden: true }), `${key}`, JSON.stringify({ nested: { key } })]) {
      expect(shown).not.toContain(key.value)
    }
    expect(standIn.createdKeys.at(-1)).toEqual({ email: 'console@example.com', body: {} })
  })
})

describe('absurd and hostile answers', () => {
  const base = () => ({ baseUrl: oddUrl, timeoutMs: 2_000 })

  it('a 200 that is not JSON, is empty, or is a JSON array: OAUTH_API_ERROR saying which', async () => {
    odds(200, '<html>login</html>')
    await expect(fetchAnthropicProfile('t', base())).rejects.toMatchObject({ code: OAUTH_API_ERROR, message: expect.stringContaining('not a JSON object') })
    odds(200, '')
    await expect(fetchAnthropicUsage('t', base())).rejects.toMatchObject({ code: OAUTH_API_ERROR, message: expect.stringContaining('an empty body') })
    odds(200, '[1,2]')
    await expect(fetchAnthropicUsage('t', base())).rejects.toMatchObject({ code: OAUTH_API_ERROR })
  })

  it('usage windows of the wrong shape are skipped; utilization beyond 100 is reported as given; bad dates become null; new models show up', async () => {
    odds(200, JSON.stringify({ five_hour: { utilization: 1e9, resets_at: 'never' }, seven_day: { utilization: '50' }, seven_day_haiku_5: { utilization: 3, resets_at: '2030-01-01T00:00:00Z' }, extra_usage: { is_enabled: true, utilization: 12.5 }, junk: 7 }))
    const usage = await fetchAnthropicUsage('t', base())
    expect(usage.windows).toEqual([
      { id: 'five_hour', label: '5-hour', utilization: 1e9, resetsAt: null },
      { id: 'seven_day_haiku_5', label: '7-day Haiku 5', utilization: 3, resetsAt: '2030-01-01T00:00:00.000Z' },
    ])
    expect(usage.extraUsage).toEqual({ enabled: true, utilization: 12.5 })
  })

  it('control characters and token-shaped text in profile strings are neutralised before they reach a terminal', async () => {
    odds(200, JSON.stringify({ account: { email: 'a@b.c\u001b]0;pwned\u0007', uuid: 'not a uuid; rm -rf' }, organization: { name: 'Org sk-ant-oat01-leaked', uuid: 'org-1' } }))
    const profile = await fetchAnthropicProfile('t', base())
    expect(profile.email).toBe('a@b.c ]0;pwned ')
    expect(profile.accountUuid).toBeNull()
    expect(profile.organization?.name).toBe('Org [redacted]')
  })

  it('429 with Retry-After, 5xx, 401 and a redirect: typed, retryable only where it helps, the bearer token never echoed', async () => {
    odds(429, JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'slow' } }), { 'retry-after': '120' })
    await expect(fetchAnthropicUsage('secret-token-1234567', base())).rejects.toMatchObject({ code: OAUTH_RATE_LIMITED, retryable: true, retryAfterMs: 120_000 })
    odds(503, '')
    await expect(fetchAnthropicUsage('t', base())).rejects.toMatchObject({ code: OAUTH_SERVER_ERROR, retryable: true })
    odds(401, JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'bad token secret-token-1234567' } }))
    const err = (await fetchAnthropicProfile('secret-token-1234567', base()).catch((e: unknown) => e)) as OAuthHttpError
    expect(err).toMatchObject({ code: OAUTH_API_ERROR, status: 401, retryable: false })
    expect(err.message + String(err.description)).not.toContain('secret-token-1234567')
    answer = (_req, res) => res.writeHead(302, { location: 'https://evil.example/' }).end()
    await expect(fetchAnthropicProfile('t', base())).rejects.toMatchObject({ code: OAUTH_API_ERROR, status: 302 })
  })

  it('a body larger than 256 KiB is not read', async () => {
    odds(200, JSON.stringify({ five_hour: { utilization: 1 }, pad: 'x'.repeat(300_000) }))
    await expect(fetchAnthropicUsage('t', base())).rejects.toMatchObject({ code: OAUTH_API_ERROR, message: expect.stringContaining('more than') })
  })

  it('key creation: a 200 without a usable raw_key, and a connection cut after sending, both say a key may exist and are not retryable', async () => {
    odds(200, JSON.stringify({ raw_key: 'short' }))
    await expect(createAnthropicApiKey('t', base())).rejects.toMatchObject({ code: OAUTH_API_ERROR, message: expect.stringContaining('A key may have been created') })
    odds(200, JSON.stringify({ raw_key: 'sk-ant-api03-has a space in it and is long enough' }))
    await expect(createAnthropicApiKey('t', base())).rejects.toMatchObject({ code: OAUTH_API_ERROR })
    answer = (req) => req.socket.destroy()
    await expect(createAnthropicApiKey('t', base())).rejects.toMatchObject({ code: OAUTH_RESPONSE_LOST, retryable: false, message: expect.stringContaining('may have been processed') })
    // A GET that cannot connect is a plain network error, safe to try again.
    await expect(fetchAnthropicProfile('t', { baseUrl: 'http://127.0.0.1:9', timeoutMs: 2_000 })).rejects.toMatchObject({ code: OAUTH_NETWORK_ERROR, retryable: true })
  })
})
