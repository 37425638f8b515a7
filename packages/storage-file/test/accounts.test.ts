// Accounts: the list, the adoption of a single-login file, and two accounts used by
// concurrent processes against a rotating server, each keeping its own login.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildAuthorizationUrl, OAUTH_NOT_LOGGED_IN, parseAuthCode, TOKEN_STORE_CORRUPT, TOKEN_STORE_LOCK_TIMEOUT, type OAuthTokens } from '@oauth/core'
import { exchangeCodeForTokens } from '@oauth/http'
import { bundleNodeScript, runWorkers, startAnthropicStandIn, type AnthropicStandIn, type RefresherReport } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Accounts, FileTokenStore } from '../src/index.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'oauth-accounts-'))
let standIn: AnthropicStandIn
let n = 0
const freshDir = () => join(root, `home-${++n}`)

beforeAll(async () => {
  standIn = await startAnthropicStandIn()
}, 60_000)
afterAll(async () => {
  await standIn.close()
  rmSync(root, { recursive: true, force: true })
})

/** A real login at the stand-in as `email`, chosen on its account page. */
async function signIn(email: string): Promise<OAuthTokens> {
  const config = { ...standIn.config, authorizeParams: { ...standIn.config.authorizeParams, prompt: 'select_account' } }
  const { url, oauthState } = await buildAuthorizationUrl(config)
  const { code, state } = parseAuthCode(await standIn.approve(url, { account: email }))
  return exchangeCodeForTokens(code, state, oauthState, config)
}

describe('Accounts', () => {
  it('adopts a single-login file as the default account, without moving or rewriting it', async () => {
    const dir = freshDir()
    const legacy = join(dir, 'oauth_tokens.json')
    await new FileTokenStore({ path: legacy }).save(await signIn('dev@example.com'))
    const before = readFileSync(legacy, 'utf8')
    const accounts = new Accounts({ dir })
    expect(await accounts.list()).toEqual({ defaultAccount: 'default', accounts: [{ name: 'default', store: 'file', isDefault: true }] })
    expect((await accounts.store().load())?.account?.emailAddress).toBe('dev@example.com')
    await accounts.open({ name: 'work', store: 'file' }).save(await signIn('work@example.com'))
    await accounts.add('work')
    await accounts.use('work')
    expect((await accounts.store().load())?.account?.emailAddress).toBe('work@example.com')
    expect((await accounts.store('default').load())?.account?.emailAddress).toBe('dev@example.com')
    expect(readFileSync(legacy, 'utf8')).toBe(before)
  })

  it('an account nobody logged in to fails with OAUTH_NOT_LOGGED_IN on first use, never falling back; the default one is just empty', async () => {
    const accounts = new Accounts({ dir: freshDir() })
    await expect(accounts.store('nope').load()).rejects.toMatchObject({ code: OAUTH_NOT_LOGGED_IN, message: expect.stringContaining('No account named "nope"') })
    expect(await accounts.store().load()).toBeNull()
    expect(() => accounts.store('../x')).toThrow(TypeError)
    await expect(accounts.use('nope')).rejects.toMatchObject({ code: OAUTH_NOT_LOGGED_IN })
  })

  it('logins recorded at once all land in the list (it is changed under its lock)', async () => {
    const dir = freshDir()
    await Promise.all(Array.from({ length: 12 }, (_, i) => new Accounts({ dir }).add(`a${i}`)))
    expect((await new Accounts({ dir }).list()).accounts.map((a) => a.name)).toHaveLength(12)
  })

  it('refuses to move an account to another store, and reports a corrupt list with its path, leaving it in place', async () => {
    const dir = freshDir()
    const accounts = new Accounts({ dir })
    await accounts.add('work', 'file')
    await expect(accounts.add('work', 'keychain')).rejects.toThrow(/kept in the file store/)
    writeFileSync(accounts.path, '{"accounts": {"../x": {"store": "file"}}}')
    await expect(accounts.list()).rejects.toMatchObject({ code: TOKEN_STORE_CORRUPT, message: expect.stringContaining(accounts.path) })
    await expect(accounts.add('other')).rejects.toMatchObject({ code: TOKEN_STORE_CORRUPT })
    expect(readFileSync(accounts.path, 'utf8')).toBe('{"accounts": {"../x": {"store": "file"}}}')
  })

  it("accounts never share a lock: one account's lock held does not hold up another's", async () => {
    const dir = freshDir()
    const accounts = new Accounts({ dir, lock: { timeoutMs: 500 } })
    await accounts.add('personal')
    await accounts.add('work')
    let release!: () => void
    const held = accounts.store('personal').lock!(() => new Promise<void>((resolve) => (release = resolve)))
    await new Promise((resolve) => setTimeout(resolve, 50))
    await expect(accounts.store('work').lock!(async () => 'work ran')).resolves.toBe('work ran')
    // The same account's lock does wait (and here times out): the check above can fail.
    await expect(new Accounts({ dir, lock: { timeoutMs: 300 } }).store('personal').lock!(async () => 'never')).rejects.toMatchObject({ code: TOKEN_STORE_LOCK_TIMEOUT })
    release()
    await held
  })

  it('an account kept in the keychain needs the keychain factory, and says so', () => {
    expect(() => new Accounts({ dir: freshDir() }).open({ name: 'k', store: 'keychain' })).toThrow(/KeychainTokenStore/)
  })
})

const PER_ACCOUNT = 4
const DURATION_MS = 20_000
const TOKEN_TTL_S = 3

it(`two accounts, ${PER_ACCOUNT} processes each, for ${DURATION_MS / 1000} s against a rotating server: each keeps its own login, one refresh per expiry each`, async () => {
  const dir = freshDir()
  mkdirSync(dir, { recursive: true })
  const accounts = new Accounts({ dir })
  const emails = { personal: 'dev@example.com', work: 'work@example.com' } as const
  standIn.accessTokenTtlSeconds = TOKEN_TTL_S
  try {
    const script = await bundleNodeScript(join(packageDir, 'test/fixtures/account-refresher.ts'), packageDir)
    for (const [name, email] of Object.entries(emails)) {
      await accounts.open({ name, store: 'file' }).save(await signIn(email))
      await accounts.add(name)
    }
    standIn.refreshesByAccount = {}
    const invalidBefore = standIn.invalidGrants
    const names = Object.keys(emails) as (keyof typeof emails)[]
    const started = Date.now()
    const reports = await runWorkers<RefresherReport>(
      script,
      names.flatMap((name) => Array.from({ length: PER_ACCOUNT }, () => [dir, name, JSON.stringify(standIn.config), `${standIn.url}/api/oauth/profile`, String(DURATION_MS)])),
    )
    const elapsedS = (Date.now() - started) / 1000
    const expiries = Math.ceil(elapsedS / (TOKEN_TTL_S - 1))
    console.log(`two accounts: ${elapsedS.toFixed(1)} s, refreshes ${JSON.stringify(standIn.refreshesByAccount)} (${expiries} expiries at most each), invalid_grant ${standIn.invalidGrants - invalidBefore}`)
    expect(standIn.invalidGrants).toBe(invalidBefore)
    names.forEach((name, i) => {
      const mine = reports.slice(i * PER_ACCOUNT, (i + 1) * PER_ACCOUNT)
      expect(mine.flatMap((r) => r.failures)).toEqual([])
      expect(mine.reduce((sum, r) => sum + r.calls, 0)).toBeGreaterThan(PER_ACCOUNT * 50)
      // Never the other account's token: every token these processes used was issued to this account.
      expect(new Set(mine.flatMap((r) => r.tokens).map((t) => standIn.accountOf(t)))).toEqual(new Set([emails[name]]))
      const refreshes = standIn.refreshesByAccount[emails[name]] ?? 0
      expect(refreshes).toBeLessThanOrEqual(expiries)
      expect(refreshes).toBeGreaterThanOrEqual(Math.floor(elapsedS / TOKEN_TTL_S))
      expect(mine.reduce((sum, r) => sum + r.refreshes, 0)).toBe(refreshes)
      // Every refreshed token was used, shared by the account's processes; the first login's token
      // too, unless its 3 s ran out before the processes started.
      const distinct = new Set(mine.flatMap((r) => r.tokens)).size
      expect(distinct).toBeGreaterThanOrEqual(refreshes)
      expect(distinct).toBeLessThanOrEqual(refreshes + 1)
    })
  } finally {
    standIn.accessTokenTtlSeconds = 3600
  }
}, 90_000)
