// The CLI as a new user runs it: a child process, its prompt answered through stdin,
// against local stand-ins of the Anthropic token endpoint and of a generic OAuth server.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Anthropic } from '@anthropic-ai/sdk'
import { bundleNodeScript, startAnthropicStandIn, startAuthorizationServer, type AnthropicStandIn, type AuthorizationServer } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pasteCode, runCli, urlIn, type CliOptions } from './run-cli.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'oauth-cli-'))
let bin: string
let standIn: AnthropicStandIn
let oidc: AuthorizationServer
let presetConfig: string
let genericConfig: string

beforeAll(async () => {
  bin = await bundleNodeScript(join(packageDir, 'src/bin.ts'), packageDir, ['@napi-rs/keyring', '@anthropic-ai/sdk'])
  standIn = await startAnthropicStandIn()
  oidc = await startAuthorizationServer({ accessTokenTtl: 60 })
  presetConfig = join(dir, 'preset.json')
  writeFileSync(presetConfig, JSON.stringify(standIn.config))
  genericConfig = join(dir, 'generic.json')
  writeFileSync(genericConfig, JSON.stringify(oidc.config))
}, 60_000)
afterAll(async () => {
  await standIn.close()
  await oidc.close()
  rmSync(dir, { recursive: true, force: true })
})

const home = join(dir, 'home')
/** Runs the CLI with a home of its own (accounts live there) and the stand-in as the API host. */
const cli = (args: string[], options: CliOptions = {}) => runCli(bin, args, { ...options, env: { HOME: home, ANTHROPIC_BASE_URL: standIn.url, ...options.env } })
const pastePresetCode = () => pasteCode(standIn)

// Tests move `expires_at` to put a login near its end; they drop `issued_at` with it, as for a
// login issued hours ago (with it, the lifetime would look short and the buffer shrink with it).
describe('anthropic-oauth with the Anthropic preset wire format', () => {
  const path = join(dir, 'preset', 'oauth_tokens.json')

  it('login: prints the URL, takes the pasted code#state, stores the tokens 0600', async () => {
    const result = await cli(['login', '--config', presetConfig, '--path', path, '--no-browser'], { onStderr: pastePresetCode() })
    expect(result.stderr).toContain('Logged in as dev@example.com')
    expect(result.code).toBe(0)
    expect(JSON.parse(readFileSync(path, 'utf8')).account.email_address).toBe('dev@example.com')
  })

  it('status: account, organization, scopes, expiry in words, store; never a token', async () => {
    const result = await cli(['status', '--path', path])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Logged in as dev@example.com')
    expect(result.stdout).toContain('Organization: Stand-in Org')
    expect(result.stdout).toContain('org:create_api_key user:profile user:inference')
    expect(result.stdout).toMatch(/expires in (59 min|1 h 0 min)/)
    expect(result.stdout).toContain(path)
    expect(result.stdout + result.stderr).not.toMatch(/sk-ant-o[ar]t01/)
    const json = JSON.parse((await cli(['status', '--path', path, '--json'])).stdout)
    expect(json).toMatchObject({ loggedIn: true, account: 'dev@example.com', expired: false, refreshable: true })
  })

  it('token: prints the stored token alone, and a refreshed one when it is expiring', async () => {
    const stored = JSON.parse(readFileSync(path, 'utf8'))
    expect((await cli(['token', '--path', path, '--config', presetConfig])).stdout).toBe(`${stored.access_token}\n`)
    writeFileSync(path, JSON.stringify({ ...stored, issued_at: undefined, expires_at: Date.now() / 1000 + 60 }))
    const before = standIn.tokenRequests.length
    const result = await cli(['token', '--path', path, '--config', presetConfig])
    expect(result.code).toBe(0)
    const saved = JSON.parse(readFileSync(path, 'utf8'))
    expect(saved.access_token).not.toBe(stored.access_token)
    expect(result.stdout).toBe(`${saved.access_token}\n`)
    expect(standIn.tokenRequests.length).toBe(before + 1)
  })

  it('token: a rate-limited refresh exits 4 and keeps the login', async () => {
    const stored = JSON.parse(readFileSync(path, 'utf8'))
    writeFileSync(path, JSON.stringify({ ...stored, issued_at: undefined, expires_at: Date.now() / 1000 - 10 }))
    standIn.tokenFailure = { status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, headers: { 'retry-after': '0' } }
    try {
      const result = await cli(['token', '--path', path, '--config', presetConfig])
      expect(result.code).toBe(4)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/rate limit/i)
      expect(result.stderr).not.toMatch(/log in/i)
      expect(JSON.parse(readFileSync(path, 'utf8')).refresh_token).toBe(stored.refresh_token)
    } finally {
      standIn.tokenFailure = undefined
    }
  }, 30_000)

  it('token: a still-valid token is printed with a warning when the refresh is rate limited', async () => {
    const stored = JSON.parse(readFileSync(path, 'utf8'))
    // 4 minutes left: inside the refresh margin, but the token still works.
    writeFileSync(path, JSON.stringify({ ...stored, issued_at: undefined, expires_at: Date.now() / 1000 + 240 }))
    standIn.tokenFailure = { status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, headers: { 'retry-after': '0' } }
    try {
      const result = await cli(['token', '--path', path, '--config', presetConfig])
      expect(result.code).toBe(0)
      expect(result.stdout).toBe(`${stored.access_token}\n`)
      expect(result.stderr).toMatch(/Warning: could not renew the access token .*rate limit/i)
    } finally {
      standIn.tokenFailure = undefined
    }
  }, 30_000)

  for (const failure of ['reset', 'stall'] as const) {
    it(`token: a still-valid token is printed with a warning when the refresh's connection ${failure === 'reset' ? 'is reset after sending' : 'times out'}`, async () => {
      const stored = JSON.parse(readFileSync(path, 'utf8'))
      writeFileSync(path, JSON.stringify({ ...stored, issued_at: undefined, expires_at: Date.now() / 1000 + 240 }))
      standIn.tokenTransportFailure = failure
      try {
        const result = await cli(['token', '--path', path, '--config', presetConfig], { env: { ANTHROPIC_OAUTH_TIMEOUT_MS: '1000' } })
        expect(result.code).toBe(0)
        expect(result.stdout).toBe(`${stored.access_token}\n`)
        expect(result.stderr).toMatch(failure === 'reset' ? /Warning: could not renew the access token .*may have been sent/ : /Warning: could not renew the access token .*did not answer in time/)
        // The stored login is kept as it was.
        expect(JSON.parse(readFileSync(path, 'utf8')).refresh_token).toBe(stored.refresh_token)
      } finally {
        standIn.tokenTransportFailure = undefined
      }
    }, 30_000)
  }

  it("token: a 429's Retry-After is honoured by the next call: nothing is sent, the valid token is printed with a warning", async () => {
    const stored = JSON.parse(readFileSync(path, 'utf8'))
    writeFileSync(path, JSON.stringify({ ...stored, issued_at: undefined, expires_at: Date.now() / 1000 + 240 }))
    standIn.failNextTokenRequests(1, { status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, headers: { 'retry-after': '600' } })
    const before = standIn.tokenRequests.length
    const first = await cli(['token', '--path', path, '--config', presetConfig])
    expect(first.code).toBe(0)
    expect(first.stdout).toBe(`${stored.access_token}\n`)
    expect(standIn.tokenRequests.length).toBe(before + 1)
    expect(JSON.parse(readFileSync(path, 'utf8')).refresh_not_before).toBeGreaterThan(Date.now() / 1000 + 590)
    // The next call, another process: the cooldown is in the file, so it sends nothing.
    const second = await cli(['token', '--path', path, '--config', presetConfig])
    expect(second.code).toBe(0)
    expect(second.stdout).toBe(`${stored.access_token}\n`)
    expect(second.stderr).toMatch(/Warning: could not renew .*pause/)
    expect(standIn.tokenRequests.length).toBe(before + 1)
    expect((await cli(['status', '--path', path])).stdout).toMatch(/Renewal: +paused by the token endpoint \(HTTP 429\); next attempt in 10 min/)
    // Expired meanwhile: still nothing sent, exit 4 (try again), never "log in".
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), issued_at: undefined, expires_at: Date.now() / 1000 - 10 }))
    const third = await cli(['token', '--path', path, '--config', presetConfig])
    expect(third.code).toBe(4)
    expect(third.stderr).not.toMatch(/log in/i)
    expect(standIn.tokenRequests.length).toBe(before + 1)
    // The cooldown ends: the next call refreshes.
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), refresh_not_before: Date.now() / 1000 - 1 }))
    expect((await cli(['token', '--path', path, '--config', presetConfig])).code).toBe(0)
    expect(standIn.tokenRequests.length).toBe(before + 2)
    expect(JSON.parse(readFileSync(path, 'utf8')).refresh_not_before).toBeNull()
  }, 30_000)

  it('logout: removes the login; then status and token exit 3', async () => {
    expect((await cli(['logout', '--path', path])).code).toBe(0)
    const status = await cli(['status', '--path', path])
    expect(status.code).toBe(3)
    expect(status.stdout).toContain('Not logged in')
    const token = await cli(['token', '--path', path])
    expect(token.code).toBe(3)
    expect(token.stderr).toContain('anthropic-oauth login')
  })

  it('login --store profile: plain new Anthropic({ profile }) then works with that login', async () => {
    const configDir = join(dir, 'sdk-config')
    const result = await cli(['login', '--store', 'profile', '--profile', 'work', '--config', presetConfig, '--no-browser'], {
      env: { ANTHROPIC_CONFIG_DIR: configDir },
      onStderr: pastePresetCode(),
    })
    expect(result.code).toBe(0)
    const saved = process.env.ANTHROPIC_CONFIG_DIR
    process.env.ANTHROPIC_CONFIG_DIR = configDir
    try {
      standIn.apiRequests.length = 0
      const sdk = new Anthropic({ profile: 'work', baseURL: standIn.url, maxRetries: 0 })
      expect((await sdk.models.list()).data[0]!.id).toBe('claude-test')
      const credentials = JSON.parse(readFileSync(join(configDir, 'credentials', 'work.json'), 'utf8'))
      expect(standIn.apiRequests[0]!.headers.authorization).toBe(`Bearer ${credentials.access_token}`)
    } finally {
      if (saved === undefined) delete process.env.ANTHROPIC_CONFIG_DIR
      else process.env.ANTHROPIC_CONFIG_DIR = saved
    }
  })
})

describe('anthropic-oauth login modes and long-lived logins', () => {

  it('login --manual sends the paste page as redirect URI; status then works', async () => {
    const path = join(dir, 'manual', 'oauth_tokens.json')
    const result = await cli(['login', '--manual', '--config', presetConfig, '--path', path], { onStderr: pastePresetCode(), env: { DISPLAY: ':0' } })
    expect(result.code).toBe(0)
    expect((standIn.tokenRequests.at(-1)!.body as { redirect_uri: string }).redirect_uri).toBe('https://platform.claude.com/oauth/code/callback')
  })

  it('login --long-lived: a one-year inference-only token; status shows the days left and that it cannot be renewed', async () => {
    const path = join(dir, 'long-lived', 'oauth_tokens.json')
    const result = await cli(['login', '--long-lived', '--no-browser', '--config', presetConfig, '--path', path], { onStderr: pastePresetCode() })
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/lasts until \d{4}-\d\d-\d\d and cannot be renewed/)
    const saved = JSON.parse(readFileSync(path, 'utf8'))
    expect(saved.refresh_token).toBe('') // the Python SDK's file layout: no refresh token is an empty string
    expect(saved.scope).toBe('user:inference')
    const status = await cli(['status', '--path', path])
    expect(status.stdout).toMatch(/expires in 36[45] days, cannot be renewed/)
    expect(JSON.parse((await cli(['status', '--path', path, '--json'])).stdout)).toMatchObject({ refreshable: false, daysLeft: expect.any(Number) })
    // Within the last 5 minutes it is still printed, never refreshed.
    writeFileSync(path, JSON.stringify({ ...saved, issued_at: undefined, expires_at: Date.now() / 1000 + 120 }))
    const before = standIn.tokenRequests.length
    const token = await cli(['token', '--path', path, '--config', presetConfig])
    expect(token.stdout).toBe(`${saved.access_token}\n`)
    expect(standIn.tokenRequests.length).toBe(before)
  })
})

describe('the next move of the service, without a release', () => {
  it('the preset moved by environment variables alone: login, status shows the overrides, token refreshes where they point', async () => {
    const moved = join(dir, 'moved-home')
    const env = {
      HOME: moved,
      ANTHROPIC_OAUTH_AUTHORIZE_URL: standIn.config.authorizeUrl,
      ANTHROPIC_OAUTH_TOKEN_URL: standIn.config.tokenUrl,
      CLAUDE_CODE_OAUTH_SCOPES: 'user:profile user:inference',
    }
    const login = await cli(['login', '--no-browser'], { env, onStderr: pastePresetCode() })
    expect(login.code).toBe(0)
    expect(standIn.authorizeRequests.at(-1)?.query.scope).toBe('user:profile user:inference')
    // The account remembers the preset, not the moved values: they apply as the environment says.
    expect(JSON.parse(readFileSync(join(moved, '.anthropic', 'accounts.json'), 'utf8')).accounts.default.server).toEqual({ preset: 'anthropic' })
    const status = await cli(['status'], { env })
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/^Overrides: {4}\S/m)
    expect(status.stdout).toContain(`ANTHROPIC_OAUTH_AUTHORIZE_URL=${standIn.config.authorizeUrl} (authorizeUrl)`)
    expect(status.stdout).toContain('CLAUDE_CODE_OAUTH_SCOPES=user:profile user:inference (scopes)')
    expect(status.stdout).toMatch(/5-hour/) // still the Anthropic preset: plan and usage shown
    const json = JSON.parse((await cli(['status', '--json'], { env })).stdout)
    expect(json.overrides.map((o: { variable: string }) => o.variable).sort()).toEqual(['ANTHROPIC_OAUTH_AUTHORIZE_URL', 'ANTHROPIC_OAUTH_TOKEN_URL', 'CLAUDE_CODE_OAUTH_SCOPES'])
    // A refresh goes where ANTHROPIC_OAUTH_TOKEN_URL points (the stand-in), with the preset's wire format.
    const file = join(moved, '.anthropic', 'oauth_tokens.json')
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), issued_at: undefined, expires_at: Date.now() / 1000 - 1 }))
    const sent = standIn.tokenRequests.length
    const token = await cli(['token'], { env })
    expect(token.code).toBe(0)
    expect(standIn.tokenRequests.slice(sent)).toMatchObject([{ host: 'platform', status: 200, headers: { 'anthropic-beta': 'oauth-2025-04-20' } }])
    // A moved URL that is not https is refused before anything is sent.
    const bad = await cli(['status'], { env: { ...env, ANTHROPIC_OAUTH_TOKEN_URL: 'http://tokens.example/v1/oauth/token' } })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('ANTHROPIC_OAUTH_TOKEN_URL must be an https URL')
  })
})

describe('anthropic-oauth login checks before it spends', () => {
  it('a corrupt token file is reported with its path before the browser opens; nothing is sent, the file is kept', async () => {
    const path = join(dir, 'corrupt', 'oauth_tokens.json')
    mkdirSync(join(dir, 'corrupt'), { recursive: true, mode: 0o700 })
    writeFileSync(path, '{not json', { mode: 0o600 })
    const before = standIn.tokenRequests.length
    const result = await cli(['login', '--no-browser', '--config', presetConfig, '--path', path], { onStderr: pastePresetCode() })
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain(path)
    expect(result.stderr).not.toContain('/oauth/authorize')
    expect(standIn.tokenRequests.length).toBe(before)
    expect(readFileSync(path, 'utf8')).toBe('{not json')
  })

  it('a path that cannot be written is refused before the browser opens', async () => {
    const blocker = join(dir, 'a-file')
    writeFileSync(blocker, '')
    const result = await cli(['login', '--no-browser', '--config', presetConfig, '--path', join(blocker, 'sub', 'oauth_tokens.json')], { onStderr: pastePresetCode() })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(blocker)
    expect(result.stderr).not.toContain('/oauth/authorize')
  })

  it('status exits 3 when the login has expired and cannot be renewed', async () => {
    const path = join(dir, 'expired-long-lived.json')
    const expiresAt = Math.floor(Date.now() / 1000) - 60
    writeFileSync(path, JSON.stringify({ access_token: 'sk-ant-oat01-old', refresh_token: '', expires_at: expiresAt, token_type: 'Bearer', scope: 'user:inference' }), { mode: 0o600 })
    const result = await cli(['status', '--path', path])
    expect(result.code).toBe(3)
    expect(result.stdout).toContain('cannot be renewed')
  })
})

describe('anthropic-oauth with a generic OAuth server (oidc-provider)', () => {
  it('login catches the loopback redirect; status shows the scopes; logout', async () => {
    const path = join(dir, 'generic', 'tokens.json')
    let browsing = false
    const result = await cli(['login', '--config', genericConfig, '--path', path, '--no-browser'], {
      onStderr: (text) => {
        const url = urlIn(text)
        if (!url || browsing) return
        browsing = true
        // The user's browser: signs in, consents, and lands on the CLI's loopback listener.
        void oidc.authorize(url).then((callback) => fetch(callback))
      },
    })
    expect(result.stderr).toContain('Logged in')
    expect(result.code).toBe(0)
    const status = await cli(['status', '--path', path])
    expect(status.stdout).toContain('openid')
    expect(status.stdout).toContain('offline_access')
    const token = await cli(['token', '--path', path, '--config', genericConfig])
    const me = await fetch(`${oidc.issuer}/me`, { headers: { authorization: `Bearer ${token.stdout.trim()}` } })
    expect(me.status).toBe(200)
    expect((await cli(['logout', '--path', path])).code).toBe(0)
  }, 30_000)
})

describe('anthropic-oauth usage', () => {
  it('prints help for the tool and for each command', async () => {
    const top = await cli(['--help'])
    expect(top.code).toBe(0)
    expect(top.stdout).toMatch(/login[\s\S]*status[\s\S]*token[\s\S]*logout/)
    for (const command of ['login', 'status', 'token', 'logout']) {
      const help = await cli([command, '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout).toContain(`Usage: anthropic-oauth ${command}`)
      expect(help.stdout).toContain('--store')
    }
  })

  it('exits 2 on an unknown command, an unknown option or an unknown store', async () => {
    expect((await cli([])).code).toBe(2)
    expect((await cli(['fly'])).code).toBe(2)
    const bad = await cli(['status', '--bogus'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('status --help')
    expect((await cli(['status', '--store', 'floppy'])).code).toBe(2)
  })
})
