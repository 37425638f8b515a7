// `anthropic-oauth login --api`: the Console login of Anthropic's own CLI, into an SDK profile,
// against the stand-in, with today's official SDK (@anthropic-ai/sdk 1.17.0) in separate
// processes reading and refreshing the same profile.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleNodeScript, runWorkers, startAnthropicStandIn, type AnthropicStandIn, type RefresherReport } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pasteCode, runCli, type CliOptions } from './run-cli.js'

const CLI_CLIENT = '41077d10-94b8-4194-be48-d251e9eb21b4'
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'oauth-cli-api-'))
const configDir = join(dir, 'anthropic')
let bin: string
let sdkCall: string
let refresher: string
let standIn: AnthropicStandIn

beforeAll(async () => {
  ;[bin, sdkCall, refresher, standIn] = await Promise.all([
    bundleNodeScript(join(packageDir, 'src/bin.ts'), packageDir, ['@napi-rs/keyring', '@anthropic-ai/sdk']),
    bundleNodeScript(join(packageDir, 'test/fixtures/sdk-call.ts'), packageDir, ['@anthropic-ai/sdk']),
    bundleNodeScript(join(packageDir, 'test/fixtures/profile-refresher.ts'), packageDir),
    startAnthropicStandIn(),
  ])
  standIn.browserAccount = 'console@example.com'
}, 60_000)
afterAll(async () => {
  await standIn.close()
  rmSync(dir, { recursive: true, force: true })
})

// The Console and the API on the stand-in's listeners, as `ant` takes them: ANTHROPIC_CONSOLE_URL, ANTHROPIC_BASE_URL.
const env = () => ({ HOME: join(dir, 'home'), ANTHROPIC_CONFIG_DIR: configDir, ANTHROPIC_CONSOLE_URL: standIn.platformUrl, ANTHROPIC_BASE_URL: standIn.url })
const cli = (args: string[], options: CliOptions = {}) => runCli(bin, args, { ...options, env: { ...env(), ...options.env } })
const sdk = async (profile: string, durationMs = 0) => (await runWorkers<{ calls: number; failures: string[] }>(sdkCall, [[profile, String(durationMs)]], { env: { ...process.env, ...env() } }))[0]!
const credentials = (profile: string) => JSON.parse(readFileSync(join(configDir, 'credentials', `${profile}.json`), 'utf8'))
const bearers = () => standIn.apiRequests.map((r) => String(r.headers.authorization).replace('Bearer ', ''))

async function login(profile: string) {
  const result = await cli(['login', '--api', '--profile', profile, '--no-browser'], { onStderr: pasteCode(standIn) })
  expect(result.stderr).toContain('Logged in to Console Org as console@example.com')
  expect(result.code).toBe(0)
  return result
}

describe('login --api: the Console login of Anthropic\'s CLI, into an SDK profile', () => {
  it('signs in at the Console with the CLI client, exchanges at the API host, and writes the profile the SDK and ant read', async () => {
    const [pages, tokens] = [standIn.authorizeRequests.length, standIn.tokenRequests.length]
    const result = await login('work')
    const page = standIn.authorizeRequests[pages]!
    expect(page.host).toBe('platform')
    expect(page.query).toMatchObject({ client_id: CLI_CLIENT, scope: 'user:profile user:inference user:developer', redirect_uri: `${standIn.platformUrl}/oauth/code/callback?app=anthropic-cli` })
    expect(page.query.code).toBeUndefined()
    const exchange = standIn.tokenRequests[tokens]!
    expect(exchange).toMatchObject({ host: 'api', status: 200 })
    expect(exchange.headers['anthropic-beta']).toBeUndefined()
    expect(result.stderr).toContain('Workspace: Default (wrkspc_standin)')
    // configs/<profile>.json: the client the SDK refreshes with, and what the login was bound to.
    const config = JSON.parse(readFileSync(join(configDir, 'configs', 'work.json'), 'utf8'))
    expect(config).toMatchObject({ authentication: { type: 'user_oauth', client_id: CLI_CLIENT }, organization_id: 'org-0003', workspace_id: 'wrkspc_standin', base_url: standIn.url })
    // credentials/<profile>.json, 0600: the fields @anthropic-ai/sdk and `ant auth print-credentials` read.
    const path = join(configDir, 'credentials', 'work.json')
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(credentials('work')).toMatchObject({
      type: 'oauth_token',
      access_token: expect.stringMatching(/^sk-ant-oat01-/),
      refresh_token: expect.stringMatching(/^sk-ant-ort01-/),
      expires_at: expect.any(Number),
      scope: 'user:profile user:inference user:developer',
      organization_uuid: 'org-0003',
      organization_name: 'Console Org',
      account_email: 'console@example.com',
      workspace_id: 'wrkspc_standin',
      workspace_name: 'Default',
    })
    expect(Number.isInteger(credentials('work').expires_at)).toBe(true)
    expect(readFileSync(join(configDir, 'active_config'), 'utf8').trim()).toBe('work')
  })

  it('today\'s official SDK, in another process, calls the API with the profile our login wrote', async () => {
    standIn.apiRequests.length = 0
    expect(await sdk('work')).toEqual({ calls: 1, failures: [] })
    expect(bearers()).toEqual([credentials('work').access_token])
  })

  it('the SDK refreshes the profile itself; our next `token` reads what it wrote and sends nothing', async () => {
    // Five seconds left: inside the SDK's 30-second mandatory refresh window.
    writeFileSync(join(configDir, 'credentials', 'work.json'), JSON.stringify({ ...credentials('work'), expires_at: Math.floor(Date.now() / 1000) + 5 }))
    const before = credentials('work')
    const sent = standIn.tokenRequests.length
    expect(await sdk('work')).toEqual({ calls: 1, failures: [] })
    const refresh = standIn.tokenRequests[sent]!
    expect(refresh).toMatchObject({ host: 'api', status: 200, body: { grant_type: 'refresh_token', client_id: CLI_CLIENT } })
    expect(refresh.headers['anthropic-beta']).toBe('oauth-2025-04-20')
    const after = credentials('work')
    expect(after.access_token).not.toBe(before.access_token)
    expect(after.workspace_id).toBe('wrkspc_standin') // the SDK keeps the fields it does not know
    const token = await cli(['token', '--profile', 'work'])
    expect(token.code).toBe(0)
    expect(token.stdout.trim()).toBe(after.access_token)
    expect(standIn.tokenRequests.length).toBe(sent + 1)
  })

  it('our refresh of the profile is the CLI\'s: JSON with the beta at the API host; the SDK then uses what we wrote', async () => {
    writeFileSync(join(configDir, 'credentials', 'work.json'), JSON.stringify({ ...credentials('work'), expires_at: Math.floor(Date.now() / 1000) - 1 }))
    const sent = standIn.tokenRequests.length
    const token = await cli(['token', '--profile', 'work'])
    expect(token.code).toBe(0)
    const refresh = standIn.tokenRequests[sent]!
    expect(refresh).toMatchObject({ host: 'api', status: 200 })
    expect(refresh.headers['content-type']).toMatch(/^application\/json/)
    expect(refresh.headers['anthropic-beta']).toBe('oauth-2025-04-20')
    expect(token.stdout.trim()).toBe(credentials('work').access_token)
    standIn.apiRequests.length = 0
    expect(await sdk('work')).toEqual({ calls: 1, failures: [] })
    expect(bearers()).toEqual([credentials('work').access_token])
    expect(standIn.tokenRequests.length).toBe(sent + 1)
  })

  it('status and logout work on the named profile; logout removes only the credentials', async () => {
    const status = await cli(['status', '--profile', 'work', '--json'])
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({ loggedIn: true, account: 'console@example.com', organization: 'Console Org' })
    const logout = await cli(['logout', '--profile', 'work'])
    expect(logout.code).toBe(0)
    expect(existsSync(join(configDir, 'credentials', 'work.json'))).toBe(false)
    expect(existsSync(join(configDir, 'configs', 'work.json'))).toBe(true)
    expect((await cli(['token', '--profile', 'work'])).code).toBe(3)
  })

  it('a profile whose config is corrupt, or names an unknown client, is refused before its refresh token goes anywhere', async () => {
    await login('odd')
    const config = join(configDir, 'configs', 'odd.json')
    const good = readFileSync(config, 'utf8')
    // Out of our account list, as a profile `ant` made: its config decides the server. Its token has expired.
    expect((await cli(['logout', '--profile', 'odd'])).code).toBe(0)
    writeFileSync(join(configDir, 'credentials', 'odd.json'), JSON.stringify({ access_token: 'sk-ant-oat01-x', refresh_token: 'sk-ant-ort01-x', expires_at: 1 }))
    const sent = standIn.tokenRequests.length
    writeFileSync(config, '{ not json')
    const corrupt = await cli(['token', '--profile', 'odd'])
    expect(corrupt.code).toBe(1)
    expect(corrupt.stderr).toContain(`The SDK profile's config ${config} is not a JSON object`)
    expect(readFileSync(config, 'utf8')).toBe('{ not json')
    writeFileSync(config, JSON.stringify({ ...JSON.parse(good), authentication: { type: 'user_oauth', client_id: 'someone-else' } }))
    const unknown = await cli(['token', '--profile', 'odd'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('neither Anthropic\'s CLI nor the subscription preset')
    expect(standIn.tokenRequests.length).toBe(sent)
  })

  it('--api with --console, --device or another store is a usage error, before anything is sent', async () => {
    const pages = standIn.authorizeRequests.length
    for (const extra of [['--console'], ['--device'], ['--store', 'file'], ['--long-lived']]) {
      expect((await cli(['login', '--api', ...extra])).code).toBe(2)
    }
    expect((await cli(['login', '--workspace-id', 'wrkspc_1'])).code).toBe(2)
    expect(standIn.authorizeRequests.length).toBe(pages)
  })
})

describe('one profile, many processes', () => {
  it('4 of our processes on one profile for 20 s against a rotating stand-in: at most one refresh per expiry, no refresh token reused', async () => {
    await login('shared')
    standIn.accessTokenTtlSeconds = 4
    try {
      // Start from a token that is about to end, so the run sees refreshes from its first seconds.
      writeFileSync(join(configDir, 'credentials', 'shared.json'), JSON.stringify({ ...credentials('shared'), expires_at: Math.floor(Date.now() / 1000) + 1 }))
      const [reuses, invalid, refreshes] = [standIn.reuses, standIn.invalidGrants, standIn.tokenRequests.length]
      const started = Date.now()
      const reports = await runWorkers<RefresherReport>(
        refresher,
        Array.from({ length: 4 }, () => ['shared', standIn.platformUrl, standIn.url, '20000']),
        { env: { ...process.env, ANTHROPIC_CONFIG_DIR: configDir } },
      )
      const elapsed = (Date.now() - started) / 1000
      const sent = standIn.tokenRequests.length - refreshes
      console.log(`profile, ours alone: 4 processes, ${elapsed.toFixed(1)} s, ${reports.reduce((s, r) => s + r.calls, 0)} calls, ${sent} refreshes, reused ${standIn.reuses - reuses}`)
      expect(reports.flatMap((r) => r.failures)).toEqual([])
      expect(standIn.reuses - reuses).toBe(0)
      expect(standIn.invalidGrants - invalid).toBe(0)
      // A 4-second token, stored with `expires_at` in whole seconds as the SDK writes it, lives 3 to
      // 4 s and counts as expiring in its last quarter: at most one refresh per 2.25 s.
      expect(sent).toBeGreaterThanOrEqual(Math.floor(20 / 4))
      expect(sent).toBeLessThanOrEqual(Math.ceil(elapsed / 2.25) + 1)
      expect(reports.reduce((s, r) => s + r.refreshes, 0)).toBe(sent)
    } finally {
      standIn.accessTokenTtlSeconds = 3600
    }
  }, 90_000)

  it('4 of ours and 2 plain-SDK processes on one profile for 20 s: the SDK\'s unlocked refreshes reuse refresh tokens; ours never fail a call', async () => {
    await login('mixed')
    // 35-second tokens: the SDK refreshes in their last 30 s, ours in their last 8.75 s.
    standIn.accessTokenTtlSeconds = 35
    // Count the reuses without ending the login, as a service would see them over time.
    standIn.revokeOnReuse = false
    try {
      writeFileSync(join(configDir, 'credentials', 'mixed.json'), JSON.stringify({ ...credentials('mixed'), expires_at: Math.floor(Date.now() / 1000) + 29 }))
      const [reuses, sentBefore] = [standIn.reuses, standIn.tokenRequests.length]
      const runEnv = { env: { ...process.env, ...env() } }
      const [ours, theirs] = await Promise.all([
        runWorkers<RefresherReport>(refresher, Array.from({ length: 4 }, () => ['mixed', standIn.platformUrl, standIn.url, '20000']), runEnv),
        runWorkers<{ calls: number; failures: string[] }>(sdkCall, [['mixed', '20000'], ['mixed', '20000']], runEnv),
      ])
      const sent = standIn.tokenRequests.slice(sentBefore)
      const byUs = sent.filter((r) => String(r.headers['user-agent']).startsWith('@oauth/http'))
      const bySdk = sent.filter((r) => !String(r.headers['user-agent']).startsWith('@oauth/http'))
      const refused = (list: typeof sent) => list.filter((r) => r.status !== 200).length
      console.log(
        `profile, 4 ours + 2 SDK: ours ${ours.reduce((s, r) => s + r.calls, 0)} calls, ${byUs.length} refreshes (${refused(byUs)} refused); ` +
          `SDK ${theirs.reduce((s, r) => s + r.calls, 0)} calls, ${theirs.reduce((s, r) => s + r.failures.length, 0)} failed, ${bySdk.length} refreshes (${refused(bySdk)} refused); ` +
          `refresh tokens reused: ${standIn.reuses - reuses}`,
      )
      expect(ours.flatMap((r) => r.failures)).toEqual([])
      expect(ours.every((r) => r.calls > 0) && theirs.every((r) => r.calls > 0)).toBe(true)
      expect(bySdk.length).toBeGreaterThan(0) // the SDK refreshed the shared profile itself
    } finally {
      standIn.accessTokenTtlSeconds = 3600
      standIn.revokeOnReuse = true
    }
  }, 90_000)
})
