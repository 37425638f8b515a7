// The whole path with the Anthropic preset, in both login modes, against the stand-in:
// login → stored → API call → expiry → refresh → API call; and the policy refusals, which
// must never become "not logged in", a retry or a refresh.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { startAnthropicStandIn, type AnthropicStandIn } from '@oauth/test-utils'
import { EXPECTED_POLICY_CODES, POLICY_ANSWERS } from '@oauth/test-utils/anthropic-stand-in'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AnthropicOAuth, authorizeInteractive, loadTokensFromEnv, OAuthPolicyError, TokenManager, TokenStorage } from '../src/index.js'

let standIn: AnthropicStandIn
const dir = mkdtempSync(join(tmpdir(), 'oauth-preset-login-'))
beforeAll(async () => {
  standIn = await startAnthropicStandIn()
})
afterAll(async () => {
  await standIn.close()
  rmSync(dir, { recursive: true, force: true })
})

async function loginIn(mode: 'automatic' | 'manual', options: { longLived?: boolean } = {}) {
  const input = new PassThrough()
  return authorizeInteractive(standIn.config, {
    input,
    output: new PassThrough(),
    mode,
    ...options,
    openBrowser: async (url) => {
      const pasted = await standIn.approve(url)
      if (mode === 'manual') input.write(`${pasted}\n`)
    },
  })
}

const ask = (client: AnthropicOAuth) => client.messages.create({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] })

describe.each(['automatic', 'manual'] as const)('%s login, then API calls and a refresh', (mode) => {
  it('signs in, calls the API, refreshes at platform.claude.com when the token expires, and calls again', async () => {
    const store = new TokenStorage({ path: join(dir, `${mode}.json`) })
    await store.save(await loginIn(mode))
    const manager = new TokenManager({ tokenStorage: store, oauthConfig: standIn.config })
    const client = new AnthropicOAuth({ tokenManager: manager, baseURL: standIn.url, maxRetries: 0 })
    await ask(client)
    const first = String(standIn.apiRequests.at(-1)!.headers.authorization)
    // The stored token is now past its expiry, as after a night's sleep.
    const stored = (await store.load())!
    await store.save({ ...stored, expiresAt: Date.now() - 1000 })
    const fresh = new AnthropicOAuth({ tokenManager: new TokenManager({ tokenStorage: store, oauthConfig: standIn.config }), baseURL: standIn.url, maxRetries: 0 })
    const before = standIn.tokenRequests.length
    await ask(fresh)
    const refresh = standIn.tokenRequests.slice(before)
    expect(refresh.map((r) => [r.host, (r.body as { grant_type: string }).grant_type])).toEqual([['platform', 'refresh_token']])
    expect(String(standIn.apiRequests.at(-1)!.headers.authorization)).not.toBe(first)
    expect((await store.load())!.refreshToken).not.toBe(stored.refreshToken)
  })
})

describe('a long-lived login', () => {
  it('is never refreshed, even within the expiry margin, and says clearly when it has expired', async () => {
    const tokens = await loginIn('manual', { longLived: true })
    expect(tokens.refreshToken).toBeUndefined()
    const before = standIn.tokenRequests.length
    // Two minutes left: inside the 300 s margin, yet there is nothing to refresh with.
    const nearEnd = new TokenManager({ oauthTokens: { ...tokens, expiresAt: Date.now() + 120_000 }, oauthConfig: standIn.config })
    await expect(nearEnd.getAccessToken()).resolves.toBe(tokens.accessToken)
    const ended = new TokenManager({ oauthTokens: { ...tokens, expiresAt: Date.UTC(2026, 0, 2) }, oauthConfig: standIn.config })
    await expect(ended.getAccessToken()).rejects.toMatchObject({ code: 'OAUTH_NOT_LOGGED_IN', message: expect.stringContaining('expired on 2026-01-02') })
    expect(standIn.tokenRequests.length).toBe(before)
  })

  it('CLAUDE_CODE_OAUTH_TOKEN is read after the plan variables, and used as is', async () => {
    expect(loadTokensFromEnv({ CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-setup' })?.accessToken).toBe('sk-ant-oat01-setup')
    expect(loadTokensFromEnv({ CLAUDE_CODE_OAUTH_TOKEN: 'c', ANTHROPIC_ACCESS_TOKEN: 'b' })?.accessToken).toBe('b')
    expect(loadTokensFromEnv({ CLAUDE_CODE_OAUTH_TOKEN: 'c', ANTHROPIC_ACCESS_TOKEN: 'b', ANTHROPIC_OAUTH_ACCESS_TOKEN: 'a' })?.accessToken).toBe('a')
    const tokens = await loginIn('manual', { longLived: true })
    const client = AnthropicOAuth.fromEnv({ env: { CLAUDE_CODE_OAUTH_TOKEN: tokens.accessToken }, oauthConfig: standIn.config, baseURL: standIn.url, maxRetries: 0 })
    await ask(client)
    expect(standIn.apiRequests.at(-1)!.headers.authorization).toBe(`Bearer ${tokens.accessToken}`)
  })
})

describe('AnthropicOAuth and the policy refusals', () => {
  const codes = EXPECTED_POLICY_CODES

  it.each(Object.keys(POLICY_ANSWERS) as (keyof typeof POLICY_ANSWERS)[])('%s: a typed OAuthPolicyError, one request, no refresh, even with SDK retries on', async (mode) => {
    const manager = new TokenManager({ oauthTokens: await loginIn('manual'), oauthConfig: standIn.config })
    const client = new AnthropicOAuth({ tokenManager: manager, baseURL: standIn.url, maxRetries: 2 })
    const [apiBefore, tokenBefore] = [standIn.apiRequests.length, standIn.tokenRequests.length]
    standIn.policy = mode
    try {
      const err = await ask(client).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(OAuthPolicyError)
      expect(err).toMatchObject({ code: codes[mode], status: POLICY_ANSWERS[mode].status })
    } finally {
      standIn.policy = undefined
    }
    expect(standIn.apiRequests.length).toBe(apiBefore + 1)
    expect(standIn.tokenRequests.length).toBe(tokenBefore)
    expect(manager.refreshCount).toBe(0)
  })
})
