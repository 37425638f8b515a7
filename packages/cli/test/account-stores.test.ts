// Accounts kept in the system keychain (a real Secret Service: gnome-keyring on a private
// D-Bus, started here) and as Anthropic SDK profiles, through the CLI as a user runs it.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Anthropic } from '@anthropic-ai/sdk'
import { bundleNodeScript, startAnthropicStandIn, startSecretService, type AnthropicStandIn, type SecretService } from '@oauth/test-utils'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { pasteCode, runCli, type CliOptions } from './run-cli.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'oauth-cli-account-stores-'))
const home = join(dir, 'home')
const configDir = join(dir, 'sdk')
let bin: string
let standIn: AnthropicStandIn
let secrets: SecretService
let presetConfig: string

beforeAll(async () => {
  bin = await bundleNodeScript(join(packageDir, 'src/bin.ts'), packageDir, ['@napi-rs/keyring', '@anthropic-ai/sdk'])
  standIn = await startAnthropicStandIn()
  secrets = await startSecretService()
  presetConfig = join(dir, 'preset.json')
  writeFileSync(presetConfig, JSON.stringify(standIn.config))
}, 60_000)
afterAll(async () => {
  await standIn.close()
  await secrets?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const cli = (args: string[], options: CliOptions = {}) =>
  runCli(bin, args, {
    ...options,
    env: { HOME: home, DBUS_SESSION_BUS_ADDRESS: secrets.address, ANTHROPIC_BASE_URL: standIn.url, ANTHROPIC_OAUTH_CONFIG_FILE: presetConfig, ANTHROPIC_CONFIG_DIR: configDir, ...options.env },
  })
const secretTool = (...args: string[]) => spawnSync('secret-tool', args, { env: secrets.env, encoding: 'utf8' }).stdout
const tokenOf = async (account: string) => standIn.accountOf((await cli(['token', '--account', account])).stdout.trim())

it('a keychain account and an SDK-profile account beside each other: login, list, token, status, logout', async () => {
  const vault = await cli(['login', '--no-browser', '--account', 'vault', '--store', 'keychain'], { onStderr: pasteCode(standIn) })
  expect(vault.code).toBe(0)
  expect(vault.stderr).toContain('Tokens saved to keychain anthropic-oauth/vault')
  expect(secretTool('search', '--all', 'service', 'anthropic-oauth')).toContain('vault')
  // Nothing of the login in a file: the file store only lends its lock.
  expect(existsSync(join(home, '.anthropic', 'accounts', 'vault.json'))).toBe(false)

  const sdk = await cli(['login', '--no-browser', '--account', 'sdk', '--store', 'profile', '--select-account'], { onStderr: pasteCode(standIn, { account: 'work@example.com' }) })
  expect(sdk.code).toBe(0)
  expect(JSON.parse(readFileSync(join(configDir, 'configs', 'sdk.json'), 'utf8'))).toMatchObject({ authentication: { type: 'user_oauth' } })

  const list = JSON.parse((await cli(['accounts', '--json'])).stdout)
  expect(list.accounts.map((a: { name: string; email: string; kind: string }) => [a.name, a.email, a.kind])).toEqual([
    ['sdk', 'work@example.com', 'profile'],
    ['vault', 'dev@example.com', 'keychain'],
  ])
  expect(await tokenOf('vault')).toBe('dev@example.com')
  expect(await tokenOf('sdk')).toBe('work@example.com')
  // The profile login is the SDK's own: plain new Anthropic({ profile }) uses it.
  const saved = process.env.ANTHROPIC_CONFIG_DIR
  process.env.ANTHROPIC_CONFIG_DIR = configDir
  try {
    standIn.apiRequests.length = 0
    await new Anthropic({ profile: 'sdk', baseURL: standIn.url, maxRetries: 0 }).models.list()
    expect(standIn.accountOf(String(standIn.apiRequests[0]!.headers.authorization).replace('Bearer ', ''))).toBe('work@example.com')
  } finally {
    if (saved === undefined) delete process.env.ANTHROPIC_CONFIG_DIR
    else process.env.ANTHROPIC_CONFIG_DIR = saved
  }
  expect((await cli(['status', '--account', 'vault'])).stdout).toContain('Plan:         Max')

  // An account stays where it is kept: moving it needs a logout first.
  const moved = await cli(['login', '--no-browser', '--account', 'vault', '--store', 'file'])
  expect(moved.code).toBe(2)
  expect(moved.stderr).toContain('kept in the keychain store')

  expect((await cli(['logout', '--account', 'vault'])).code).toBe(0)
  expect(secretTool('search', '--all', 'service', 'anthropic-oauth')).not.toContain('vault')
  expect(JSON.parse((await cli(['accounts', '--json'])).stdout).accounts.map((a: { name: string }) => a.name)).toEqual(['sdk'])
}, 60_000)
