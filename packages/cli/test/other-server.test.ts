// The CLI with a second, independent server (Glewlwyd 2.7.5, C, from Debian; started here):
// discovery from an issuer, a confidential client from a config file, rotation, revocation on
// logout, the device grant, and SDK profiles that name the config's client and API.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FileTokenStore } from '@oauth/storage-file'
import { bundleNodeScript, freePort, sampleTokens, startAnthropicStandIn, startGlewlwyd, type GlewlwydServer } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, urlIn, type CliOptions } from './run-cli.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'oauth-cli-other-'))
const home = join(dir, 'home')
let bin: string
let server: GlewlwydServer
let basicConfig: string

beforeAll(async () => {
  ;[bin, server] = await Promise.all([bundleNodeScript(join(packageDir, 'src/bin.ts'), packageDir, ['@napi-rs/keyring', '@anthropic-ai/sdk']), startGlewlwyd({ accessTokenTtl: 2, deviceInterval: 1 })])
  // A confidential client known only by its issuer: the endpoints come from discovery.
  basicConfig = join(dir, 'basic.json')
  writeFileSync(
    basicConfig,
    JSON.stringify({ issuer: server.issuer, clientId: server.clientIds.basic, clientSecret: server.clientSecret, scopes: 'api', redirectUri: server.loopbackRedirectUri, baseUrl: 'https://api.example.test' }),
  )
}, 60_000)
afterAll(() => server?.stop())

const cli = (args: string[], options: CliOptions = {}) => runCli(bin, args, { ...options, env: { HOME: home, ...options.env } })

/** The user's browser: signs in at Glewlwyd, grants, and lands on the CLI's loopback listener. */
function browser() {
  let browsing = false
  return (text: string) => {
    const url = urlIn(text)
    if (!url || browsing) return
    browsing = true
    void server.authorize(url).then((callback) => fetch(callback))
  }
}

describe('anthropic-oauth with Glewlwyd', () => {
  it('login with a confidential client from an issuer-only config; token renews it as it rotates; logout revokes it at the server', async () => {
    const path = join(dir, 'basic', 'tokens.json')
    const login = await cli(['login', '--config', basicConfig, '--path', path, '--no-browser'], { onStderr: browser() })
    expect(login.stderr).toContain('Logged in')
    expect(login.code).toBe(0)
    const first = JSON.parse(readFileSync(path, 'utf8'))
    // Never the client secret in the token file.
    expect(readFileSync(path, 'utf8')).not.toContain(server.clientSecret)
    await new Promise((resolve) => setTimeout(resolve, 2100))
    const token = await cli(['token', '--path', path, '--config', basicConfig])
    expect(token.code).toBe(0)
    const second = JSON.parse(readFileSync(path, 'utf8'))
    expect(second.refresh_token).not.toBe(first.refresh_token) // rotated and saved
    expect(token.stdout.trim()).toBe(second.access_token)
    const logout = await cli(['logout', '--path', path, '--config', basicConfig])
    expect(logout.code).toBe(0)
    expect(logout.stderr).toMatch(/Logged out: removed .*Its refresh token was revoked at http:\/\/127\.0\.0\.1:\d+\./)
    // Revoked at the server: the saved refresh token no longer works.
    const { refreshAccessToken } = await import('@oauth/http')
    await expect(refreshAccessToken(second.refresh_token, server.config('basic'))).rejects.toMatchObject({ status: 400 })
    expect(logout.stderr).not.toContain(server.clientSecret)
  }, 60_000)

  it('a spent refresh token (Glewlwyd: 400, empty body) is "log in again", exit 3, and the login file is kept', async () => {
    const path = join(dir, 'spent', 'tokens.json')
    expect((await cli(['login', '--config', basicConfig, '--path', path, '--no-browser'], { onStderr: browser() })).code).toBe(0)
    const saved = readFileSync(path, 'utf8')
    const { refreshAccessToken } = await import('@oauth/http')
    await refreshAccessToken(JSON.parse(saved).refresh_token, server.config('basic')) // spent elsewhere
    await new Promise((resolve) => setTimeout(resolve, 2100))
    const token = await cli(['token', '--path', path, '--config', basicConfig])
    expect(token.code).toBe(3)
    expect(token.stderr).toMatch(/log in again/)
    expect(readFileSync(path, 'utf8')).toBe(saved)
  }, 60_000)

  it('login --device with --issuer: shows the page and the code, waits, and stores the login; the public client\'s logout is refused by Glewlwyd and says so', async () => {
    const path = join(dir, 'device', 'tokens.json')
    let approving = false
    const login = await cli(['login', '--device', '--issuer', server.issuer, '--client-id', server.clientIds.public, '--scopes', 'api', '--path', path], {
      onStderr: (text) => {
        const code = text.match(/enter the code:\s+(\S+)/)?.[1]
        if (!code || approving) return
        approving = true
        setTimeout(() => void server.approveDevice(code), 1000)
      },
    })
    expect(login.stderr).toContain(`${server.issuer}/device`)
    expect(login.stderr).toContain('Logged in')
    expect(login.code).toBe(0)
    const logout = await cli(['logout', '--path', path, '--issuer', server.issuer, '--client-id', server.clientIds.public])
    expect(logout.code).toBe(0)
    expect(logout.stderr).toMatch(/Logged out: removed .*could not be revoked at the server.*HTTP 401/)
  }, 60_000)

  it('login --device where the server has no device endpoint is a usage error (exit 2), before anything is sent', async () => {
    const noDevice = join(dir, 'no-device.json')
    writeFileSync(noDevice, JSON.stringify({ ...server.config('public'), deviceAuthorizationUrl: undefined }))
    const result = await cli(['login', '--device', '--config', noDevice, '--path', join(dir, 'x.json')])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('no device authorization endpoint')
  })

  it('--store profile writes the config\'s client ID and API base URL into the SDK profile', async () => {
    const configDir = join(dir, 'sdk-config')
    const result = await cli(['login', '--store', 'profile', '--profile', 'glw', '--config', basicConfig, '--no-browser'], {
      onStderr: browser(),
      env: { ANTHROPIC_CONFIG_DIR: configDir },
    })
    expect(result.code).toBe(0)
    const profile = JSON.parse(readFileSync(join(configDir, 'configs', 'glw.json'), 'utf8'))
    expect(profile).toMatchObject({ base_url: 'https://api.example.test', authentication: { type: 'user_oauth', client_id: server.clientIds.basic } })
    expect(JSON.stringify(profile)).not.toContain(server.clientSecret)
  }, 60_000)

  it('an account remembers its server: later commands use it without --config, send nothing to Anthropic, and refuse another server', async () => {
    const anthropic = await startAnthropicStandIn()
    try {
      const presetConfig = join(dir, 'anthropic-stand-in.json')
      writeFileSync(presetConfig, JSON.stringify(anthropic.config))
      const env = { ANTHROPIC_BASE_URL: anthropic.url }
      const login = await cli(['login', '--account', 'corp', '--config', basicConfig, '--no-browser'], { onStderr: browser(), env })
      expect(login.code).toBe(0)
      const list = readFileSync(join(home, '.anthropic', 'accounts.json'), 'utf8')
      expect(JSON.parse(list).accounts.corp.server).toMatchObject({ config: { issuer: server.issuer, clientId: server.clientIds.basic }, configFile: basicConfig })
      expect(list).not.toContain(server.clientSecret)
      const tokenFile = join(home, '.anthropic', 'accounts', 'corp.json')
      const first = JSON.parse(readFileSync(tokenFile, 'utf8'))

      await new Promise((resolve) => setTimeout(resolve, 2100)) // the access token has expired
      // status knows the login is not Anthropic's: it asks Anthropic's account endpoints nothing,
      // and renews nothing there (before, an expired token was refreshed at the preset's host).
      const status = await cli(['status', '--account', 'corp', '--json'], { env })
      expect(status.code).toBe(0)
      expect(JSON.parse(status.stdout)).toMatchObject({ loggedIn: true, accountName: 'corp', plan: null, usage: null })
      expect(anthropic.apiRequests).toEqual([])
      expect(anthropic.tokenRequests).toEqual([])
      // token, without --config, renews at Glewlwyd (its secret read again from the config file).
      const token = await cli(['token', '--account', 'corp'], { env })
      expect(token.code).toBe(0)
      const renewed = JSON.parse(readFileSync(tokenFile, 'utf8'))
      expect(renewed.refresh_token).not.toBe(first.refresh_token)
      expect(token.stdout.trim()).toBe(renewed.access_token)
      // Another server named for this account is refused before anything is sent.
      for (const command of [['token'], ['status'], ['logout']]) {
        const refused = await cli([...command, '--account', 'corp', '--config', presetConfig], { env })
        expect(refused.code).toBe(2)
        expect(refused.stderr).toContain(`Account "corp" belongs to ${server.issuer}`)
      }
      expect(anthropic.tokenRequests).toEqual([])
      expect(existsSync(tokenFile)).toBe(true)
      // logout without --config revokes at the account's server.
      const logout = await cli(['logout', '--account', 'corp'], { env })
      expect(logout.code).toBe(0)
      expect(logout.stderr).toContain(`Its refresh token was revoked at ${new URL(server.issuer).origin}`)
      expect(existsSync(tokenFile)).toBe(false)
    } finally {
      await anthropic.close()
    }
  }, 60_000)

  it('offline means offline: logout --local and status --offline with an issuer-only config send nothing; logout removes the login when the server is down', async () => {
    const dead = `http://127.0.0.1:${await freePort()}` // nothing listens there: any request fails
    const path = join(dir, 'offline', 'tokens.json')
    const issuerOnly = ['--issuer', dead, '--client-id', 'cli']
    await new FileTokenStore({ path }).save(sampleTokens(1))
    const status = await cli(['status', '--offline', '--json', '--path', path, ...issuerOnly])
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({ loggedIn: true })
    const local = await cli(['logout', '--local', '--path', path, ...issuerOnly])
    expect(local.code).toBe(0)
    expect(existsSync(path)).toBe(false)
    // Not --local, with the server down: revocation is best effort, the login goes all the same.
    await new FileTokenStore({ path }).save(sampleTokens(1))
    const down = await cli(['logout', '--path', path, ...issuerOnly])
    expect(down.code).toBe(0)
    expect(down.stderr).toMatch(/Logged out: removed .*It could not be revoked/)
    expect(existsSync(path)).toBe(false)
  }, 60_000)

  it('--issuer without --client-id, or with --config, is a usage error', async () => {
    expect((await cli(['status', '--issuer', server.issuer])).code).toBe(2)
    expect((await cli(['status', '--issuer', server.issuer, '--client-id', 'x', '--config', basicConfig])).code).toBe(2)
  })
})
