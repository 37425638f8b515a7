// Several accounts, the plan and usage in `status`, and API keys for Console logins: the CLI
// as a user runs it, against the Anthropic stand-in (its accounts, profile, usage and
// key-creation endpoints), with a home directory of its own.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Anthropic } from '@anthropic-ai/sdk'
import { bundleNodeScript, startAnthropicStandIn, type AnthropicStandIn } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pasteCode, runCli, type CliOptions } from './run-cli.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'oauth-cli-accounts-'))
const home = join(dir, 'home')
const legacy = join(home, '.anthropic', 'oauth_tokens.json')
let bin: string
let standIn: AnthropicStandIn
let presetConfig: string

beforeAll(async () => {
  bin = await bundleNodeScript(join(packageDir, 'src/bin.ts'), packageDir, ['@napi-rs/keyring', '@anthropic-ai/sdk'])
  standIn = await startAnthropicStandIn()
  presetConfig = join(dir, 'preset.json')
  writeFileSync(presetConfig, JSON.stringify(standIn.config))
}, 60_000)
afterAll(async () => {
  await standIn.close()
  rmSync(dir, { recursive: true, force: true })
})

const cli = (args: string[], options: CliOptions = {}) =>
  runCli(bin, args, { ...options, env: { HOME: home, ANTHROPIC_BASE_URL: standIn.url, ANTHROPIC_OAUTH_CONFIG_FILE: presetConfig, ANTHROPIC_CONFIG_DIR: join(dir, 'sdk'), ...options.env } })
const login = (args: string[], choice?: { account?: string }) => cli(['login', '--no-browser', ...args], { onStderr: pasteCode(standIn, choice) })
const accountsJson = async () => JSON.parse((await cli(['accounts', '--json'])).stdout) as { defaultAccount: string; accounts: { name: string; email: string; default: boolean; organization: string }[] }

describe('named accounts', () => {
  let before: string

  it('an existing single-login file is the default account, as it is', async () => {
    // A login made the way every earlier version made it: one file, no account list.
    expect((await login(['--path', legacy])).code).toBe(0)
    before = readFileSync(legacy, 'utf8')
    const list = await accountsJson()
    expect(list).toMatchObject({ defaultAccount: 'default', accounts: [{ name: 'default', email: 'dev@example.com', default: true }] })
    const status = await cli(['status'])
    expect(status.code).toBe(0)
    expect(status.stdout).toContain('Logged in as dev@example.com')
    expect(readFileSync(legacy, 'utf8')).toBe(before)
  })

  it('login --account work --select-account: the user picks the work account although the browser is signed in to the personal one', async () => {
    const result = await login(['--account', 'work', '--select-account', '--login-hint', 'work@example.com'], { account: 'work@example.com' })
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('Logged in as work@example.com (account "work")')
    expect(standIn.authorizeRequests.at(-1)?.query).toMatchObject({ prompt: 'select_account', login_hint: 'work@example.com' })
    const list = await accountsJson()
    expect(list.defaultAccount).toBe('default')
    expect(list.accounts.map((a) => [a.name, a.email, a.organization, a.default])).toEqual([
      ['default', 'dev@example.com', 'Stand-in Org', true],
      ['work', 'work@example.com', 'Work Team', false],
    ])
    // The first login is untouched, byte for byte.
    expect(readFileSync(legacy, 'utf8')).toBe(before)
    const table = (await cli(['accounts'])).stdout
    expect(table).toMatch(/^\*\s+default\s+dev@example\.com\s+Stand-in Org\s+expires in/m)
    expect(table).toMatch(/^\s+work\s+work@example\.com\s+Work Team\s+expires in/m)
  })

  it('each command works on the account named, and on the default otherwise; `accounts use` moves the default', async () => {
    const token = async (args: string[] = []) => standIn.accountOf((await cli(['token', ...args])).stdout.trim())
    expect(await token()).toBe('dev@example.com')
    expect(await token(['--account', 'work'])).toBe('work@example.com')
    expect(await token([], )).toBe('dev@example.com')
    expect(standIn.accountOf((await cli(['token'], { env: { ANTHROPIC_OAUTH_ACCOUNT: 'work' } })).stdout.trim())).toBe('work@example.com')
    expect((await cli(['accounts', 'use', 'work'])).code).toBe(0)
    expect(await token()).toBe('work@example.com')
    expect((await cli(['status'])).stdout).toContain('Logged in as work@example.com (account "work")')
    expect((await cli(['accounts', 'use', 'default'])).code).toBe(0)
    expect(await token()).toBe('dev@example.com')
  })

  it('an account that does not exist is an error (exit 3), never another account', async () => {
    for (const command of ['token', 'status']) {
      const result = await cli([command, '--account', 'nope'])
      expect(result.code).toBe(3)
      expect(result.stdout).toBe('')
      expect(result.stderr).toContain('No account named "nope" (accounts: default, work)')
    }
    const use = await cli(['accounts', 'use', 'nope'])
    expect(use.code).toBe(3)
    expect((await cli(['token', '--account', '../etc'])).code).toBe(2)
    expect((await cli(['token', '--account', 'work', '--path', legacy])).code).toBe(2)
  })

  it('login without --select-account gets the browser\'s account, and says so when it replaces another', async () => {
    standIn.browserAccount = 'work@example.com'
    try {
      const result = await login([])
      expect(result.code).toBe(0)
      expect(result.stderr).toContain('Logged in as work@example.com (account "default")')
      expect(result.stderr).toContain('this login was dev@example.com before; it is now work@example.com')
    } finally {
      standIn.browserAccount = 'dev@example.com'
    }
    expect((await login(['--select-account'], { account: 'dev@example.com' })).code).toBe(0)
  })

  it('logout --account removes that account and only that one; the default falls back to "default"', async () => {
    expect((await cli(['accounts', 'use', 'work'])).code).toBe(0)
    const workFile = join(home, '.anthropic', 'accounts', 'work.json')
    expect(readFileSync(workFile, 'utf8')).toContain('work@example.com')
    const result = await cli(['logout', '--account', 'work'])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('Logged out: removed account "work"')
    const list = await accountsJson()
    expect(list).toMatchObject({ defaultAccount: 'default', accounts: [{ name: 'default', email: 'dev@example.com' }] })
    expect(standIn.accountOf((await cli(['token'])).stdout.trim())).toBe('dev@example.com')
  })

  it('a corrupt account list is reported with its path before the browser opens, and left in place', async () => {
    const path = join(home, '.anthropic', 'accounts.json')
    const kept = readFileSync(path, 'utf8')
    writeFileSync(path, '{"accounts": [')
    try {
      const before = standIn.tokenRequests.length
      const result = await login(['--account', 'other'])
      expect(result.code).not.toBe(0)
      expect(result.stderr).toContain(path)
      expect(result.stderr).not.toContain('/oauth/authorize')
      expect(standIn.tokenRequests.length).toBe(before)
      expect(readFileSync(path, 'utf8')).toBe('{"accounts": [')
    } finally {
      writeFileSync(path, kept)
    }
  })
})

describe('status: the plan and the usage windows', () => {
  it('shows the email, organization, plan and a bar per usage window with its reset, from the API host', async () => {
    standIn.apiRequests.length = 0
    const result = await cli(['status'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Plan:         Max')
    expect(result.stdout).toMatch(/^ {2}5-hour {6}█{8}░{12}  42%  resets in (2 h 59 min|3 h 0 min)$/m)
    expect(result.stdout).toMatch(/^ {2}7-day {7}█{4}░{16}  18%  resets in 4 days$/m)
    expect(result.stdout).toMatch(/^ {2}7-day Opus {2}█{12}░{8}  61%  resets in 4 days$/m)
    expect(result.stdout + result.stderr).not.toMatch(/sk-ant-o[ar]t01/)
    const paths = standIn.apiRequests.map((r) => r.path).sort()
    expect(paths).toEqual(['/api/oauth/profile', '/api/oauth/usage'])
    for (const request of standIn.apiRequests) {
      expect(request.headers.authorization).toMatch(/^Bearer sk-ant-oat01-/)
      expect(request.headers['anthropic-beta']).toBe('oauth-2025-04-20')
    }
    const json = JSON.parse((await cli(['status', '--json'])).stdout)
    expect(json).toMatchObject({ accountName: 'default', account: 'dev@example.com', organization: 'Stand-in Org', plan: { subscription: 'max', organizationType: 'claude_max' } })
    expect(json.usage.windows.map((w: { id: string; utilization: number }) => [w.id, w.utilization])).toEqual([
      ['five_hour', 42],
      ['seven_day', 18],
      ['seven_day_opus', 61],
    ])
  })

  it('--offline sends nothing', async () => {
    standIn.apiRequests.length = 0
    const result = await cli(['status', '--offline'])
    expect(result.code).toBe(0)
    expect(result.stdout).not.toContain('Usage')
    expect(standIn.apiRequests).toEqual([])
  })

  it('an expired access token is renewed first (and saved), then the usage is shown', async () => {
    const stored = JSON.parse(readFileSync(legacy, 'utf8'))
    writeFileSync(legacy, JSON.stringify({ ...stored, issued_at: undefined, expires_at: Date.now() / 1000 - 30 }), { mode: 0o600 })
    const result = await cli(['status'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('42%')
    expect(result.stdout).toMatch(/Access token: expires in (59 min|1 h 0 min)/)
    expect(JSON.parse(readFileSync(legacy, 'utf8')).access_token).not.toBe(stored.access_token)
  })

  it('a long-lived inference-only token: the plan and usage are refused (403), and status says why and exits 0', async () => {
    expect((await login(['--account', 'ci-token', '--long-lived'])).code).toBe(0)
    const result = await cli(['status', '--account', 'ci-token'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Logged in as dev@example.com (account "ci-token")')
    expect(result.stdout).toMatch(/Plan and usage not available: GET \/api\/oauth\/(profile|usage): the token lacks the scope user:profile/)
    const json = JSON.parse((await cli(['status', '--account', 'ci-token', '--json'])).stdout)
    expect(json).toMatchObject({ loggedIn: true, plan: null, usage: null, usageUnavailable: { code: 'OAUTH_SCOPE_INSUFFICIENT' } })
  })

  it('a usage endpoint that answers 429 at the edge: "not available now", exit 0, the login kept', async () => {
    const stored = readFileSync(legacy, 'utf8')
    standIn.usageFailure = { status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } }, headers: { 'retry-after': '3600' } }
    try {
      const result = await cli(['status'])
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('Plan:         Max')
      expect(result.stdout).toMatch(/Usage not available: GET \/api\/oauth\/usage is rate limited \(HTTP 429, retry in 3600 s\)\. The login is fine\./)
      expect(readFileSync(legacy, 'utf8')).toBe(stored)
    } finally {
      standIn.usageFailure = undefined
    }
  })
})

describe('text from the network never reaches the terminal raw', () => {
  it('an email, organization name and scope with escape sequences and a bidi override are defused in login, status (text and --json) and accounts; odd usage keys lose no window', async () => {
    const evil = 'ev\u001b]0;pwned\u0007il\u202e@example.com'
    standIn.accounts.set(evil, {
      ...standIn.accounts.get('dev@example.com')!,
      email: evil,
      uuid: 'acct-evil',
      organization: { ...standIn.accounts.get('dev@example.com')!.organization, name: 'Org\u001b[2J\u009b31m' },
      usage: {
        five_hour: { utilization: 10, resets_at: new Date(Date.now() + 3_600_000).toISOString() },
        seven_day_opus_: { utilization: 20, resets_at: null },
        seven_day__x: { utilization: 30, resets_at: null },
      },
    })
    standIn.browserAccount = evil
    try {
      const logged = await login(['--account', 'evil'])
      expect(logged.code).toBe(0)
      const status = await cli(['status', '--account', 'evil'])
      const json = await cli(['status', '--account', 'evil', '--json'])
      const list = await cli(['accounts'])
      const offline = await cli(['status', '--account', 'evil', '--offline', '--json'])
      for (const out of [logged.stderr, status.stdout, json.stdout, list.stdout, offline.stdout]) {
        expect(out).not.toMatch(/[\u001b\u0007\u009b\u202e]/)
      }
      expect(logged.stderr).toContain('Logged in as ev ]0;pwned il @example.com')
      expect(status.code).toBe(0)
      expect(status.stdout).toContain('Organization: Org [2J 31m')
      // Every window is shown, the odd keys too.
      expect(status.stdout).toMatch(/5-hour .* 10%/)
      expect(status.stdout).toMatch(/7-day Opus .* 20%/)
      expect(status.stdout).toMatch(/7-day X .* 30%/)
      // --json escapes what a terminal obeys, and a program reading it gets the stored value back.
      expect(JSON.parse(offline.stdout)).toMatchObject({ account: evil })
      // --json stays valid JSON, with every window.
      expect(JSON.parse(json.stdout).usage.windows).toHaveLength(3)
    } finally {
      standIn.browserAccount = 'dev@example.com'
    }
  })
})

describe('status in a terminal (tmux)', () => {
  it('shows a spinner while it waits on the network, then the usage bars; the spinner leaves nothing behind', async () => {
    const socket = `oauth-cli-${process.pid}`
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' })
    const screen = () => tmux('capture-pane', '-p', '-t', 'status').stdout
    const env = { HOME: home, ANTHROPIC_BASE_URL: standIn.url, ANTHROPIC_OAUTH_CONFIG_FILE: presetConfig, LANG: 'C.UTF-8' }
    const command = `env ${Object.entries(env).map(([k, v]) => `${k}='${v}'`).join(' ')} '${process.execPath}' '${bin}' status; echo "EXIT=$?"; sleep 60`
    standIn.accountDelayMs = 1500
    try {
      expect(tmux('new-session', '-d', '-s', 'status', '-x', '100', '-y', '30', command).status).toBe(0)
      await pollFor(() => screen().includes('Fetching the plan and usage'), 10_000)
      await pollFor(() => screen().includes('EXIT='), 15_000)
      const shown = screen()
      console.log(`status in tmux:\n${shown.trimEnd()}`)
      expect(shown).toContain('EXIT=0')
      expect(shown).toMatch(/^ {2}5-hour {6}█{8}░{12}  42%  resets in/m)
      expect(shown).toMatch(/^ {2}7-day Opus {2}█{12}░{8}  61%/m)
      expect(shown).not.toContain('Fetching the plan and usage')
    } finally {
      standIn.accountDelayMs = 0
      tmux('kill-server')
    }
  }, 40_000)
})

async function pollFor(done: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting for the terminal')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('api-key create for a Console login', () => {
  it('login --console --account ci: the Console page, then a key printed once on stdout, which the API accepts', async () => {
    const result = await login(['--console', '--account', 'ci', '--select-account'], { account: 'console@example.com' })
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('Logged in as console@example.com')
    // The Console's page on platform.claude.com, not the subscription page on claude.com/cai (geode#1232).
    expect(standIn.authorizeRequests.at(-1)?.host).toBe('platform')
    const created = await cli(['api-key', 'create', '--account', 'ci', '--name', 'build-bot'])
    expect(created.code).toBe(0)
    const key = created.stdout.trim()
    expect(key).toMatch(/^sk-ant-api03-[\w-]+$/)
    expect(created.stdout).toBe(`${key}\n`)
    expect(created.stderr).not.toContain(key)
    expect(created.stderr).toContain('Created an API key for Console Org')
    expect(standIn.createdKeys.at(-1)).toEqual({ email: 'console@example.com', body: { name: 'build-bot' } })
    const request = standIn.apiRequests.filter((r) => r.path === '/api/oauth/claude_cli/create_api_key').at(-1)!
    expect(request.headers['anthropic-beta']).toBe('oauth-2025-04-20')
    const answer = await fetch(`${standIn.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    })
    expect(answer.status).toBe(200)
  })

  it('--profile writes an SDK profile that plain new Anthropic({ profile }) uses; an existing profile is never replaced and no key is made for it', async () => {
    const configDir = join(dir, 'sdk')
    const result = await cli(['api-key', 'create', '--account', 'ci', '--profile', 'ci-key'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('')
    const credentials = join(configDir, 'credentials', 'ci-key.json')
    const key = JSON.parse(readFileSync(credentials, 'utf8')).access_token as string
    expect(key).toMatch(/^sk-ant-api03-/)
    expect(result.stderr).not.toContain(key)
    expect(readFileSync(credentials).length).toBeGreaterThan(0)
    const saved = process.env.ANTHROPIC_CONFIG_DIR
    process.env.ANTHROPIC_CONFIG_DIR = configDir
    try {
      standIn.apiRequests.length = 0
      const sdk = new Anthropic({ profile: 'ci-key', baseURL: standIn.url, maxRetries: 0 })
      const message = await sdk.messages.create({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      expect(message.content[0]).toMatchObject({ type: 'text' })
      expect(standIn.accountOf(String(standIn.apiRequests[0]!.headers.authorization).replace('Bearer ', ''))).toBe('console@example.com')
    } finally {
      if (saved === undefined) delete process.env.ANTHROPIC_CONFIG_DIR
      else process.env.ANTHROPIC_CONFIG_DIR = saved
    }
    const keys = standIn.createdKeys.length
    const again = await cli(['api-key', 'create', '--account', 'ci', '--profile', 'ci-key'])
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('exists already')
    expect(standIn.createdKeys.length).toBe(keys)
    expect(JSON.parse(readFileSync(credentials, 'utf8')).access_token).toBe(key)
  })

  it('a profile that cannot be written is found before any key is made; a key made but not saved is printed once, never lost', async () => {
    // Its credentials folder is a file: the check before the request fails, and no key is made.
    const broken = join(dir, 'sdk-broken')
    mkdirSync(broken, { recursive: true })
    writeFileSync(join(broken, 'credentials'), 'not a folder')
    const keys = standIn.createdKeys.length
    const refused = await cli(['api-key', 'create', '--account', 'ci', '--profile', 'ci-broken'], { env: { ANTHROPIC_CONFIG_DIR: broken } })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/Cannot create the directory .*sdk-broken\/credentials/)
    expect(refused.stdout).toBe('')
    expect(standIn.createdKeys.length).toBe(keys)
    // Another program creates the profile while the key is being made: the save fails, the key is printed.
    const raced = join(dir, 'sdk-raced')
    standIn.accountDelayMs = 1000
    try {
      let created = false
      const result = await cli(['api-key', 'create', '--account', 'ci', '--profile', 'ci-raced'], {
        env: { ANTHROPIC_CONFIG_DIR: raced },
        onStderr: (text) => {
          if (created || !text.includes('Creating an API key')) return
          created = true
          writeFileSync(join(raced, 'configs', 'ci-raced.json'), '{}')
        },
      })
      expect(result.code).toBe(1)
      expect(standIn.createdKeys.length).toBe(keys + 1)
      const key = result.stdout.trim()
      expect(key).toMatch(/^sk-ant-api03-[\w-]+$/)
      expect(standIn.accountOf(key)).toBe('console@example.com')
      expect(result.stderr).toContain('could not be saved in the SDK profile "ci-raced"')
      expect(result.stderr).toContain('printed above, once')
      expect(result.stderr).not.toContain(key)
    } finally {
      standIn.accountDelayMs = 0
    }
  })

  it('a subscription organization is refused by the service (exit 1); an inference-only login is refused before anything is sent (exit 3)', async () => {
    const refused = await cli(['api-key', 'create'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('was refused (HTTP 403, permission_error: This organization cannot create API keys.)')
    const before = standIn.apiRequests.length
    const scope = await cli(['api-key', 'create', '--account', 'ci-token'])
    expect(scope.code).toBe(3)
    expect(scope.stderr).toContain('lacks the org:create_api_key scope')
    expect(scope.stderr).toContain('anthropic-oauth login --console')
    expect(standIn.apiRequests.length).toBe(before)
  })
})

describe('help and usage errors of the new commands', () => {
  it('accounts and api-key have --help; bad actions exit 2', async () => {
    for (const command of ['accounts', 'api-key']) {
      const help = await cli([command, '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout).toContain(`Usage: anthropic-oauth ${command}`)
    }
    expect((await cli(['accounts', 'frob'])).code).toBe(2)
    expect((await cli(['api-key', 'delete'])).code).toBe(2)
    expect((await cli(['login', '--console', '--long-lived'])).code).toBe(2)
    const top = await cli(['--help'])
    expect(top.stdout).toMatch(/accounts[\s\S]*api-key/)
  })

  it('status with a home nobody logged in from: not logged in, exit 3', async () => {
    const empty = join(dir, 'empty-home')
    mkdirSync(empty)
    const result = await cli(['status'], { env: { HOME: empty } })
    expect(result.code).toBe(3)
    expect(result.stdout).toContain('Not logged in')
    expect(JSON.parse((await cli(['accounts', '--json'], { env: { HOME: empty } })).stdout)).toEqual({ defaultAccount: 'default', accounts: [] })
  })
})
