// The subscription preset, moved by the environment: each variable, which wins, and what is refused.
import { describe, expect, it } from 'vitest'
import { ANTHROPIC_OAUTH_CONFIG, ANTHROPIC_PRESET_VARIABLES, anthropicPresetFromEnv } from '../src/index.js'

describe('anthropicPresetFromEnv', () => {
  it('is the preset itself, with no override, when no variable is set (empty ones included)', () => {
    expect(anthropicPresetFromEnv({ CLAUDE_CODE_OAUTH_CLIENT_ID: '', PATH: '/usr/bin' })).toEqual({ config: ANTHROPIC_OAUTH_CONFIG, overrides: [] })
  })

  it('sets each value from its variable, and says which', () => {
    const env = {
      CLAUDE_CODE_OAUTH_CLIENT_ID: 'client-2',
      CLAUDE_CODE_OAUTH_SCOPES: 'user:profile user:inference',
      ANTHROPIC_OAUTH_AUTHORIZE_URL: 'https://claude.example/oauth/authorize',
      ANTHROPIC_OAUTH_TOKEN_URL: 'https://platform.example/v1/oauth/token',
      ANTHROPIC_OAUTH_REDIRECT_URI: 'https://platform.example/oauth/code/callback',
      ANTHROPIC_OAUTH_BETA: 'oauth-2026-11-01',
      ANTHROPIC_OAUTH_USER_AGENT: 'my-tool/1.0',
    }
    const { config, overrides } = anthropicPresetFromEnv(env)
    expect(config).toMatchObject({
      clientId: 'client-2',
      scopes: 'user:profile user:inference',
      authorizeUrl: 'https://claude.example/oauth/authorize',
      tokenUrl: 'https://platform.example/v1/oauth/token',
      tokenUrlFallbacks: [], // the endpoint named is the one
      redirectUri: 'https://platform.example/oauth/code/callback',
      tokenRequestHeaders: { 'anthropic-beta': 'oauth-2026-11-01' },
      userAgent: 'my-tool/1.0',
      // What no variable names keeps the preset's value.
      tokenRequestFormat: 'json',
      authorizeParams: { code: 'true' },
    })
    expect(overrides.map((o) => o.variable).sort()).toEqual(Object.keys(env).sort())
    expect(Object.keys(ANTHROPIC_PRESET_VARIABLES)).toEqual(expect.arrayContaining(Object.keys(env)))
  })

  it("CLAUDE_CODE_CUSTOM_OAUTH_URL moves every host to one base, as Claude Code's does; a finer variable wins over it", () => {
    const { config } = anthropicPresetFromEnv({ CLAUDE_CODE_CUSTOM_OAUTH_URL: 'https://claude.fedstart.example/', ANTHROPIC_OAUTH_TOKEN_URL: 'https://tokens.example/v1/oauth/token' })
    expect(config).toMatchObject({
      authorizeUrl: 'https://claude.fedstart.example/oauth/authorize',
      redirectUri: 'https://claude.fedstart.example/oauth/code/callback',
      tokenUrl: 'https://tokens.example/v1/oauth/token',
      tokenUrlFallbacks: [],
    })
  })

  it('refuses a URL that is not https (or http on loopback) before anything is sent', () => {
    for (const [variable, value] of [
      ['ANTHROPIC_OAUTH_TOKEN_URL', 'http://tokens.example/v1/oauth/token'],
      ['CLAUDE_CODE_CUSTOM_OAUTH_URL', 'ftp://x'],
      ['ANTHROPIC_OAUTH_AUTHORIZE_URL', 'not a url'],
    ]) {
      expect(() => anthropicPresetFromEnv({ [variable!]: value })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining(variable!) }))
    }
    expect(anthropicPresetFromEnv({ ANTHROPIC_OAUTH_TOKEN_URL: 'http://127.0.0.1:8080/v1/oauth/token' }).config.tokenUrl).toBe('http://127.0.0.1:8080/v1/oauth/token')
  })
})
