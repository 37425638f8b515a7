import { TOKEN_STORE_CORRUPT } from '@oauth/core'
import { describeTokenStoreConformance } from '@oauth/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { EnvTokenStore, loadTokensFromEnv } from '../src/index.js'

describeTokenStoreConformance(
  'EnvTokenStore',
  async () => {
    const env: Record<string, string> = {}
    // A malformed expiry beside the token: the variables are there, they cannot be read.
    const corrupt = () => void Object.assign(env, { ANTHROPIC_OAUTH_ACCESS_TOKEN: 'sk-ant-oat01-x', ANTHROPIC_TOKEN_EXPIRES_AT: 'tomorrow' })
    return { store: new EnvTokenStore({ env }), corrupt }
  },
  { lock: false, shared: false, corruptible: true },
)

describe('loadTokensFromEnv', () => {
  it('prefers ANTHROPIC_OAUTH_ACCESS_TOKEN over ANTHROPIC_ACCESS_TOKEN', () => {
    expect(loadTokensFromEnv({ ANTHROPIC_OAUTH_ACCESS_TOKEN: 'oauth', ANTHROPIC_ACCESS_TOKEN: 'plain' })?.accessToken).toBe('oauth')
    expect(loadTokensFromEnv({ ANTHROPIC_ACCESS_TOKEN: 'plain' })?.accessToken).toBe('plain')
  })

  it('reads the refresh token and an expiry in epoch seconds or milliseconds', () => {
    expect(loadTokensFromEnv({ ANTHROPIC_ACCESS_TOKEN: 'a', ANTHROPIC_REFRESH_TOKEN: 'r', ANTHROPIC_TOKEN_EXPIRES_AT: '1800000000' })).toEqual({
      accessToken: 'a',
      refreshToken: 'r',
      expiresAt: 1_800_000_000_000,
      tokenType: 'Bearer',
      scope: '',
    })
    expect(loadTokensFromEnv({ ANTHROPIC_ACCESS_TOKEN: 'a', ANTHROPIC_TOKEN_EXPIRES_AT: '1800000000123' })?.expiresAt).toBe(1_800_000_000_123)
    expect(loadTokensFromEnv({ ANTHROPIC_ACCESS_TOKEN: 'a', ANTHROPIC_TOKEN_EXPIRES_AT: '1800000000.5' })?.expiresAt).toBe(1_800_000_000_500)
  })

  it('returns null without an access token, even with a refresh token', () => {
    expect(loadTokensFromEnv({})).toBeNull()
    expect(loadTokensFromEnv({ ANTHROPIC_ACCESS_TOKEN: '  ', ANTHROPIC_REFRESH_TOKEN: 'r' })).toBeNull()
  })

  it.each([['soon'], ['-5'], ['1e12'], ['12:00']])('refuses ANTHROPIC_TOKEN_EXPIRES_AT=%j, naming the variable and not the token', (value) => {
    expect(() => loadTokensFromEnv({ ANTHROPIC_ACCESS_TOKEN: 'sk-SECRET', ANTHROPIC_TOKEN_EXPIRES_AT: value })).toThrow(
      expect.objectContaining({ code: TOKEN_STORE_CORRUPT, message: expect.stringMatching(/^ANTHROPIC_TOKEN_EXPIRES_AT(?!.*SECRET)/) }),
    )
  })
})

describe('EnvTokenStore', () => {
  const saved = { ...process.env }
  afterEach(() => {
    process.env = { ...saved }
  })

  it('reads process.env by default, at load time', async () => {
    const store = new EnvTokenStore()
    delete process.env.ANTHROPIC_OAUTH_ACCESS_TOKEN
    process.env.ANTHROPIC_ACCESS_TOKEN = 'from-process-env'
    expect((await store.load())?.accessToken).toBe('from-process-env')
  })

  it('keeps refreshed tokens in memory and never writes the environment', async () => {
    const env: Record<string, string> = { ANTHROPIC_ACCESS_TOKEN: 'old', ANTHROPIC_REFRESH_TOKEN: 'r-old' }
    const store = new EnvTokenStore({ env })
    await store.save({ accessToken: 'new', refreshToken: 'r-new', tokenType: 'Bearer', scope: '' })
    expect((await store.load())?.accessToken).toBe('new')
    expect(env).toEqual({ ANTHROPIC_ACCESS_TOKEN: 'old', ANTHROPIC_REFRESH_TOKEN: 'r-old' })
    expect(store.savesInMemoryOnly).toBe(true)
  })

  it('works with no process at all when an env object is passed', async () => {
    const realProcess = globalThis.process
    const store = new EnvTokenStore({ env: { ANTHROPIC_ACCESS_TOKEN: 'worker' } })
    try {
      // @ts-expect-error simulating an edge worker
      delete globalThis.process
      expect((await store.load())?.accessToken).toBe('worker')
      expect(loadTokensFromEnv({ ANTHROPIC_ACCESS_TOKEN: 'x' })?.accessToken).toBe('x')
      expect(() => loadTokensFromEnv()).toThrow(/pass one/)
    } finally {
      globalThis.process = realProcess
    }
  })
})
