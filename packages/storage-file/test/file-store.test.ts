import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deserializeTokens, ERR_INVALID_ARG_VALUE, sleep, TOKEN_STORE_CORRUPT, TOKEN_STORE_LOCK_TIMEOUT, TOKEN_STORE_UNREADABLE, TokenStorageError } from '@oauth/core'
import { bundleNodeScript, describeTokenStoreConformance, runNodeScript, runNodeScriptAs, sampleTokens, startNodeScript } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Accounts, defaultTokenPath, FileTokenStore, SdkProfileTokenStore } from '../src/index.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'oauth-file-store-'))
chmodSync(root, 0o755) // so the unprivileged child below can reach its own files
let n = 0
const freshPath = () => join(root, `case-${++n}`, 'nested', 'oauth_tokens.json')
const scripts: Record<string, string> = {}

beforeAll(async () => {
  for (const name of ['save-as', 'writer', 'hold-lock']) scripts[name] = await bundleNodeScript(join(packageDir, 'test/fixtures', `${name}.ts`), packageDir)
}, 60_000)
afterAll(() => rmSync(root, { recursive: true, force: true }))

describeTokenStoreConformance(
  'FileTokenStore',
  async () => {
    const path = freshPath()
    const corrupt = () => (mkdirSync(join(path, '..'), { recursive: true }), writeFileSync(path, '{"access_token": ', { mode: 0o600 }))
    return { store: new FileTokenStore({ path }), sibling: () => new FileTokenStore({ path }), corrupt }
  },
  // The folder does not exist when the store subscribes: it is waited for from above.
  { lock: true, shared: true, corruptible: true, changes: true },
)

const mode = (path: string) => statSync(path).mode & 0o777

async function rejection(promise: Promise<unknown>): Promise<TokenStorageError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a TokenStorageError')
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(TokenStorageError)
  return err as TokenStorageError
}

describe('FileTokenStore on disk', () => {
  it('defaults to ~/.anthropic/oauth_tokens.json', () => {
    expect(new FileTokenStore().path).toBe(defaultTokenPath())
    expect(defaultTokenPath()).toMatch(/\/\.anthropic\/oauth_tokens\.json$/)
  })

  it.each([['0022'], ['0000'], ['0077']])('writes the file 0600 and the directories it creates 0700 under umask %s', async (umask) => {
    const path = freshPath()
    await runNodeScript(process.execPath, [scripts['save-as']!, path, umask])
    expect(mode(path)).toBe(0o600)
    expect(mode(join(path, '..'))).toBe(0o700)
    expect(mode(join(path, '../..'))).toBe(0o700)
  })

  it('replaces a world-readable file with a 0600 one', async () => {
    const path = freshPath()
    mkdirSync(join(path, '..'), { recursive: true })
    writeFileSync(path, JSON.stringify({ access_token: 'old' }), { mode: 0o644 })
    await new FileTokenStore({ path }).save(sampleTokens(1))
    expect(mode(path)).toBe(0o600)
  })

  it('writes the layout the Python SDK reads', async () => {
    const path = freshPath()
    await new FileTokenStore({ path }).save(sampleTokens(2))
    const json = JSON.parse(readFileSync(path, 'utf8'))
    expect(json).toMatchObject({ access_token: sampleTokens(2).accessToken, expires_at: sampleTokens(2).expiresAt! / 1000, account: { email_address: 'dev2@example.com' } })
  })

  describe('refuses to read, or overwrite, what it cannot parse', () => {
    const cases: [string, (path: string) => void, string, string][] = [
      ['corrupt JSON', (p) => writeFileSync(p, '{"access_token": "sk-ant-oat01-SECRET"', { mode: 0o600 }), TOKEN_STORE_CORRUPT, 'not valid JSON'],
      ['an empty file', (p) => writeFileSync(p, '', { mode: 0o600 }), TOKEN_STORE_CORRUPT, 'empty'],
      ['JSON without access_token', (p) => writeFileSync(p, '{"refresh_token":"r"}', { mode: 0o600 }), TOKEN_STORE_CORRUPT, 'access_token'],
      ['a directory in its place', (p) => mkdirSync(p), TOKEN_STORE_UNREADABLE, 'directory'],
      // Reading a FIFO blocks until a writer comes: it must be refused, not hang.
      ['a FIFO in its place', (p) => execFileSync('mkfifo', [p]), TOKEN_STORE_UNREADABLE, 'not a regular file'],
    ]
    it.each(cases)('%s: a typed error naming the path, file left in place', async (_, make, code, why) => {
      const path = freshPath()
      mkdirSync(join(path, '..'), { recursive: true })
      make(path)
      const before = statSync(path).isFile() ? readFileSync(path, 'utf8') : 'not a file'
      const store = new FileTokenStore({ path })
      const err = await rejection(store.load())
      expect(err.code).toBe(code)
      expect(err.message).toContain(path)
      expect(err.message).toContain(why)
      expect(err.message).not.toContain('SECRET')
      expect((await rejection(store.save(sampleTokens(9)))).code).toBe(code)
      expect(statSync(path).isFile() ? readFileSync(path, 'utf8') : 'not a file').toBe(before)
    })

    it('repairs a token file of ours that group or others may read or write to 0600 when it reads it', async () => {
      const path = freshPath()
      await new FileTokenStore({ path }).save(sampleTokens(3))
      chmodSync(path, 0o666)
      expect(await new FileTokenStore({ path }).load()).toEqual(sampleTokens(3))
      expect(mode(path)).toBe(0o600)
    })

    it('refuses a token file that belongs to another user, naming it, and leaves it in place', async () => {
      const path = freshPath()
      await new FileTokenStore({ path }).save(sampleTokens(4))
      chownSync(path, 65534, 65534)
      const err = await rejection(new FileTokenStore({ path }).load())
      expect(err.code).toBe(TOKEN_STORE_UNREADABLE)
      expect(err.message).toContain('belongs to another user')
      expect(err.message).toContain(path)
      expect(statSync(path).uid).toBe(65534)
    })

    it('tolerates a UTF-8 byte-order mark', async () => {
      const path = freshPath()
      mkdirSync(join(path, '..'), { recursive: true })
      writeFileSync(path, `\ufeff${JSON.stringify({ access_token: 'a', refresh_token: 'r', expires_at: 2e9, token_type: 'Bearer', scope: '' })}`, { mode: 0o600 })
      expect(await new FileTokenStore({ path }).load()).toMatchObject({ accessToken: 'a', refreshToken: 'r' })
    })

    it('keeps top-level fields it does not know (subscription_type, written by other tools) on save', async () => {
      const path = freshPath()
      mkdirSync(join(path, '..'), { recursive: true })
      writeFileSync(path, JSON.stringify({ access_token: 'a', refresh_token: 'r', expires_at: 2e9, token_type: 'Bearer', scope: '', subscription_type: 'max', rate_limit_tier: { x: 1 } }), { mode: 0o600 })
      await new FileTokenStore({ path }).save(sampleTokens(2))
      const saved = JSON.parse(readFileSync(path, 'utf8'))
      expect(saved).toMatchObject({ subscription_type: 'max', rate_limit_tier: { x: 1 } })
      expect(deserializeTokens(readFileSync(path, 'utf8'), path)).toEqual(sampleTokens(2))
    })

    it('a file this user may not read: TOKEN_STORE_UNREADABLE naming the path (checked as an unprivileged user)', async () => {
      const path = freshPath()
      await new FileTokenStore({ path }).save(sampleTokens(1))
      chmodSync(join(path, '..'), 0o755)
      chmodSync(join(path, '../..'), 0o755)
      // root reads anything, so the reader runs as nobody (65534); the file stays 0600, owned by root.
      const { stdout } = await runNodeScriptAs(65534, 65534, scripts['save-as']!, [path, 'load'])
      const result = JSON.parse(stdout)
      expect(result.code).toBe(TOKEN_STORE_UNREADABLE)
      expect(result.message).toContain(path)
      expect(result.message).toContain('permission denied')
    })
  })

  it('leaves a parseable file whenever a writer is killed (200 SIGKILLs at random moments)', async () => {
    const path = freshPath()
    const store = new FileTokenStore({ path })
    await store.save(sampleTokens(0))
    let kills = 0
    let reads = 0
    const round = async (id: number) => {
      const child = startNodeScript(scripts.writer!, [path, String(id)])
      await new Promise((resolve) => setTimeout(resolve, 40 + Math.random() * 60))
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))
      kills++
      const tokens = await store.load() // throws TOKEN_STORE_CORRUPT on a torn file
      expect(tokens?.accessToken).toMatch(/^(sk-ant-oat01-SECRET-access-0|at-\d+-\d+-x{4000})$/)
      reads++
    }
    for (let batch = 0; batch < 50; batch++) await Promise.all([0, 1, 2, 3].map((i) => round(batch * 4 + i)))
    expect(kills).toBe(200)
    expect(reads).toBe(200)
    expect(mode(path)).toBe(0o600)
    expect(() => deserializeTokens(readFileSync(path, 'utf8'), path)).not.toThrow()
  }, 120_000)

  describe('lock', () => {
    it('is taken over at once when its holder was killed', async () => {
      const path = freshPath()
      await new FileTokenStore({ path }).save(sampleTokens(1))
      const child = startNodeScript(scripts['hold-lock']!, [path])
      await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => String(d).includes('locked') && resolve()))
      expect(existsSync(`${path}.lock`)).toBe(true)
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))
      const started = Date.now()
      const store = new FileTokenStore({ path, lock: { staleMs: 60_000, timeoutMs: 5_000 } })
      expect(await store.lock(async () => 'mine')).toBe('mine')
      expect(Date.now() - started).toBeLessThan(2_000)
      expect(existsSync(`${path}.lock`)).toBe(false)
    }, 30_000)

    it('waits for a live holder, then times out with a typed error', async () => {
      const path = freshPath()
      await new FileTokenStore({ path }).save(sampleTokens(1))
      const child = startNodeScript(scripts['hold-lock']!, [path])
      try {
        await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => String(d).includes('locked') && resolve()))
        const store = new FileTokenStore({ path, lock: { staleMs: 5_000, timeoutMs: 600 } })
        const err = await rejection(store.lock(async () => 'never'))
        expect(err.code).toBe(TOKEN_STORE_LOCK_TIMEOUT)
        expect(err.message).toContain(`${path}.lock`)
      } finally {
        child.kill('SIGKILL')
      }
    }, 30_000)

    it('takes over a lock from another machine once it has not been refreshed for lock.staleMs', async () => {
      const path = freshPath()
      mkdirSync(join(path, '..'), { recursive: true })
      writeFileSync(`${path}.lock`, JSON.stringify({ token: 'other', pid: 1, host: 'another-machine' }))
      const old = new Date(Date.now() - 2_000)
      utimesSync(`${path}.lock`, old, old)
      const store = new FileTokenStore({ path, lock: { staleMs: 1_000, timeoutMs: 3_000 } })
      expect(await store.lock(async () => 'taken over')).toBe('taken over')
    })

    it('keeps a long-held lock alive with a heartbeat, so a waiter never takes it early', async () => {
      const path = freshPath()
      await new FileTokenStore({ path }).save(sampleTokens(1))
      const holder = new FileTokenStore({ path, lock: { staleMs: 300 } })
      let released = 0
      const held = holder.lock(async () => {
        await new Promise((resolve) => setTimeout(resolve, 1_500)) // five times lock.staleMs
        released = Date.now()
      })
      await new Promise((resolve) => setTimeout(resolve, 50))
      // Another process, judging staleness by the same 300 ms: only the heartbeat keeps it out.
      const child = startNodeScript(scripts['hold-lock']!, [path, '300'])
      try {
        const lockedAt = await new Promise<number>((resolve) => child.stdout!.on('data', (d: Buffer) => String(d).includes('locked') && resolve(Date.now())))
        await held
        expect(released).toBeGreaterThan(0)
        expect(lockedAt).toBeGreaterThanOrEqual(released)
      } finally {
        child.kill('SIGKILL')
      }
    }, 30_000)
  })

  it('removes the temporary files of killed writers once they are old', async () => {
    const path = freshPath()
    const store = new FileTokenStore({ path })
    await store.save(sampleTokens(1))
    const leftover = join(path, '..', `.oauth_tokens.json.999.abcdef.tmp`)
    writeFileSync(leftover, 'tokens', { mode: 0o600 })
    const old = new Date(Date.now() - 120_000)
    utimesSync(leftover, old, old)
    await store.save(sampleTokens(2))
    expect(readdirSync(join(path, '..')).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })
})

describe('FileTokenStore.subscribe', () => {
  it("tells of another holder's save and removal (fs.watch), never of its own, and stops when told to", async () => {
    const path = freshPath()
    const mine = new FileTokenStore({ path })
    await mine.save(sampleTokens(1)) // the folder exists: it can be watched
    const other = new FileTokenStore({ path })
    const heard: string[] = []
    const stop = mine.subscribe((change) => heard.push(change))
    const next = async (count: number) => {
      for (let i = 0; i < 500 && heard.length < count; i++) await sleep(10)
    }
    await mine.save(sampleTokens(2))
    await other.save(sampleTokens(3))
    await next(1)
    await other.clear()
    await next(2)
    await sleep(100) // any late event of its own save would have come by now
    expect(heard).toEqual(['saved', 'cleared'])
    stop()
    await other.save(sampleTokens(4))
    await sleep(100)
    expect(heard).toEqual(['saved', 'cleared'])
  })

  it('a folder that does not exist yet is waited for: the first login another process saves there is told, its own is not', async () => {
    const path = freshPath() // case-N/nested/: neither exists yet
    const mine = new FileTokenStore({ path })
    const heard: string[] = []
    const stop = mine.subscribe((change) => heard.push(change))
    await new FileTokenStore({ path }).save(sampleTokens(1)) // makes both folders and the file at once
    for (let i = 0; i < 500 && heard.length === 0; i++) await sleep(10)
    await sleep(100) // told once or twice (the folder's watch may begin just before or after the write)
    expect(heard.length).toBeGreaterThan(0)
    expect(new Set(heard)).toEqual(new Set(['saved']))
    const told = heard.length
    await mine.save(sampleTokens(2))
    await sleep(100)
    expect(heard.length).toBe(told)
    expect((await mine.load())?.accessToken).toBe(sampleTokens(2).accessToken)
    stop()
  })

  it('a folder removed and made again (rm -rf, then a new login elsewhere) is watched again', async () => {
    const path = freshPath()
    const mine = new FileTokenStore({ path })
    await mine.save(sampleTokens(1))
    const heard: string[] = []
    const stop = mine.subscribe((change) => heard.push(change))
    rmSync(dirname(path), { recursive: true, force: true })
    for (let i = 0; i < 500 && !heard.includes('cleared'); i++) await sleep(10)
    expect(heard).toEqual(['cleared'])
    await sleep(50) // the removed folder's watch has ended by now, or ends on its own
    await new FileTokenStore({ path }).save(sampleTokens(2))
    for (let i = 0; i < 500 && heard.length < 2; i++) await sleep(10)
    expect(heard.length).toBeGreaterThan(1)
    expect(new Set(heard.slice(1))).toEqual(new Set(['saved']))
    stop()
  })
})

describe('SdkProfileTokenStore', () => {
  it("writes the Anthropic SDK's profile layout", async () => {
    const configDir = join(root, `sdk-${++n}`)
    const store = new SdkProfileTokenStore({ profile: 'work', configDir, clientId: 'the-client' })
    await store.save(sampleTokens(7))
    expect(store.path).toBe(join(configDir, 'credentials', 'work.json'))
    expect(JSON.parse(readFileSync(join(configDir, 'configs', 'work.json'), 'utf8'))).toEqual({
      version: '1.0',
      authentication: { type: 'user_oauth', client_id: 'the-client' },
      // What the first login was bound to, as `ant auth login` writes it into a new profile.
      organization_id: sampleTokens(7).organization!.uuid,
    })
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toMatchObject({
      version: '1.0',
      type: 'oauth_token',
      access_token: sampleTokens(7).accessToken,
      refresh_token: sampleTokens(7).refreshToken,
      expires_at: sampleTokens(7).expiresAt! / 1000,
    })
    expect(mode(store.path)).toBe(0o600)
    expect(await store.load()).toEqual(sampleTokens(7))
  })

  it('names no client when given none: the SDK then uses the token as it is, never refreshing it with a client it was not made by', async () => {
    const configDir = join(root, `sdk-${++n}`)
    await new SdkProfileTokenStore({ profile: 'static', configDir }).save(sampleTokens(8))
    expect(JSON.parse(readFileSync(join(configDir, 'configs', 'static.json'), 'utf8')).authentication).toEqual({ type: 'user_oauth' })
  })

  it('refuses a profile name that could escape the directory', () => {
    expect(() => new SdkProfileTokenStore({ profile: '../etc' })).toThrow(expect.objectContaining({ name: 'TypeError', code: ERR_INVALID_ARG_VALUE, message: expect.stringMatching(/not allowed/) }))
  })
})

describe('wrong-shaped arguments are refused, never ignored', () => {
  it('a path string or an unknown key is a TypeError naming the expected shape; no file is written anywhere', () => {
    const home = mkdtempSync(join(tmpdir(), 'oauth-shape-'))
    expect(() => new FileTokenStore(join(home, 'tokens.json') as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('{ path, lock }') }))
    expect(() => new FileTokenStore({ file: join(home, 'tokens.json') } as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('`file`') }))
    expect(() => new SdkProfileTokenStore({ name: 'x' } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }))
    expect(() => new Accounts('/tmp' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }))
    expect(readdirSync(home)).toEqual([])
  })
})

it('a token passed where options belong never shows in the error', () => {
  const token = 'sk-ant-oat01-SECRET-passed-as-options'
  expect(() => new FileTokenStore(token as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.not.stringContaining('SECRET') }))
})

describe('folders get the ssh treatment too', () => {
  it('a token file in a group- or world-writable folder without the sticky bit is refused on load and save; with the sticky bit (as /tmp) it is fine', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'oauth-folder-'))
    const dir = join(parent, 'shared')
    mkdirSync(dir)
    const path = join(dir, 'tokens.json')
    const store = new FileTokenStore({ path })
    await store.save(sampleTokens(1))
    for (const mode of [0o777, 0o775]) {
      chmodSync(dir, mode)
      await expect(store.load()).rejects.toMatchObject({ code: TOKEN_STORE_UNREADABLE, message: expect.stringContaining(`its folder ${dir} can be written by`) })
      await expect(store.save(sampleTokens(2))).rejects.toMatchObject({ code: TOKEN_STORE_UNREADABLE, message: expect.stringContaining('chmod go-w') })
      // No file there yet: the first save is refused too, before anything is written.
      await expect(new FileTokenStore({ path: join(dir, 'new.json') }).save(sampleTokens(2))).rejects.toMatchObject({ code: 'TOKEN_STORE_WRITE_FAILED', message: expect.stringContaining('chmod go-w') })
      expect(existsSync(join(dir, 'new.json'))).toBe(false)
    }
    chmodSync(dir, 0o1777)
    expect(await store.load()).toMatchObject({ accessToken: sampleTokens(1).accessToken })
    chmodSync(dir, 0o700)
    await store.save(sampleTokens(3))
    expect(await store.load()).toMatchObject({ accessToken: sampleTokens(3).accessToken })
    rmSync(parent, { recursive: true, force: true })
  })
})
