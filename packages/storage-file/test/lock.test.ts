// The file lock and the file store under hostile-but-ordinary conditions: a holder paused
// (SIGSTOP) or a clock that jumps, a waiter in the same process, a lock taken again from
// inside itself, a takeover from another host, a read-only mount (a Kubernetes Secret),
// and Windows' transient rename failures, injected into node:fs itself.
import { execFileSync, type ChildProcess } from 'node:child_process'
import fs, { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  TOKEN_STORE_CORRUPT,
  TOKEN_STORE_LOCK_LOST,
  TOKEN_STORE_LOCK_REENTERED,
  TOKEN_STORE_LOCK_TIMEOUT,
  TOKEN_STORE_WRITE_FAILED,
  type LockLease,
  sleep,
} from '@oauth/core'
import { TokenManager } from '@oauth/http'
import { bundleNodeScript, loginAt, sampleTokens, settledCode, startAuthorizationServer, startNodeScript, type AuthorizationServer } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FileTokenStore } from '../src/index.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'oauth-file-lock-'))
let n = 0
const freshPath = () => join(root, `case-${++n}`, 'oauth_tokens.json')
let holdLock: string
let server: AuthorizationServer

beforeAll(async () => {
  holdLock = await bundleNodeScript(join(packageDir, 'test/fixtures/hold-lock.ts'), packageDir)
  server = await startAuthorizationServer({ accessTokenTtl: 60 })
}, 60_000)
afterAll(async () => {
  await server.close()
  rmSync(root, { recursive: true, force: true })
})

const login = () => loginAt(server.config, (url) => server.authorize(url))

/** A holder in another process; resolves once it holds the lock. */
async function holderProcess(path: string, staleLockMs: number): Promise<ChildProcess> {
  const child = startNodeScript(holdLock, [path, String(staleLockMs)])
  await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => String(d).includes('locked') && resolve()))
  return child
}

describe('a live holder keeps its lock', () => {
  it('a holder paused with SIGSTOP for four times lock.staleMs keeps its lock; a waiter times out instead of breaking it', async () => {
    const path = freshPath()
    await new FileTokenStore({ path }).save(sampleTokens(1))
    const child = await holderProcess(path, 500)
    const held = readFileSync(`${path}.lock`, 'utf8')
    try {
      child.kill('SIGSTOP') // no heartbeat from here on: the lock file's mtime ages
      await sleep(2_000)
      const waiter = new FileTokenStore({ path, lock: { staleMs: 500, timeoutMs: 1_000 } })
      expect(await settledCode(waiter.lock(async () => 'taken'))).toBe(TOKEN_STORE_LOCK_TIMEOUT)
      expect(readFileSync(`${path}.lock`, 'utf8')).toBe(held)
    } finally {
      child.kill('SIGCONT')
      child.kill('SIGKILL')
    }
  }, 30_000)

  it('a clock jump (a lock file an hour old by the waiter’s clock) does not break a live holder’s lock', async () => {
    const path = freshPath()
    await new FileTokenStore({ path }).save(sampleTokens(1))
    const child = await holderProcess(path, 60_000)
    try {
      const anHourAgo = new Date(Date.now() - 3_600_000)
      utimesSync(`${path}.lock`, anHourAgo, anHourAgo)
      const waiter = new FileTokenStore({ path, lock: { staleMs: 1_000, timeoutMs: 800 } })
      expect(await settledCode(waiter.lock(async () => 'taken'))).toBe(TOKEN_STORE_LOCK_TIMEOUT)
    } finally {
      child.kill('SIGKILL')
    }
  }, 30_000)

  it('a lock whose pid now belongs to another process (started later) is taken over', async () => {
    const path = freshPath()
    mkdirSync(join(path, '..'), { recursive: true })
    // This very process's pid, with a start time it never had: the holder that wrote it is gone.
    writeFileSync(`${path}.lock`, JSON.stringify({ token: 'gone', pid: process.pid, host: (await import('node:os')).hostname(), started: '1' }))
    const store = new FileTokenStore({ path, lock: { staleMs: 60_000, timeoutMs: 2_000 } })
    expect(await store.lock(async () => 'taken over')).toBe('taken over')
  })
})

describe('the lock across hosts does not trust another host\'s clock', () => {
  const otherHost = (path: string) => {
    mkdirSync(join(path, '..'), { recursive: true })
    writeFileSync(`${path}.lock`, JSON.stringify({ token: 'theirs', pid: 1, host: 'another-host' }))
  }

  it('a live holder on a host whose clock runs an hour behind keeps its lock while its heartbeat moves; once it stops, the lock is taken over', async () => {
    const path = freshPath()
    otherHost(path)
    // Its heartbeat: the mtime moves every 100 ms, but by its clock, an hour behind ours.
    let beat = 0
    const heartbeat = setInterval(() => {
      const then = new Date(Date.now() - 3_600_000 + beat++ * 100)
      utimesSync(`${path}.lock`, then, then)
    }, 100)
    try {
      const waiter = new FileTokenStore({ path, lock: { staleMs: 500, timeoutMs: 2_000 } })
      expect(await settledCode(waiter.lock(async () => 'taken'))).toBe(TOKEN_STORE_LOCK_TIMEOUT)
    } finally {
      clearInterval(heartbeat)
    }
    const next = new FileTokenStore({ path, lock: { staleMs: 500, timeoutMs: 5_000 } })
    expect(await next.lock(async () => 'taken over')).toBe('taken over')
  }, 20_000)

  it('a dead holder on a host whose clock runs an hour ahead is taken over after staleMs without change, not an hour later', async () => {
    const path = freshPath()
    otherHost(path)
    const ahead = new Date(Date.now() + 3_600_000)
    utimesSync(`${path}.lock`, ahead, ahead)
    const waiter = new FileTokenStore({ path, lock: { staleMs: 500, timeoutMs: 5_000 } })
    expect(await waiter.lock(async () => 'taken over')).toBe('taken over')
  }, 20_000)
})

describe('waiting has an end', () => {
  it('a waiter in the same process gives up after lock.timeoutMs, and its function never runs', async () => {
    const path = freshPath()
    const holder = new FileTokenStore({ path })
    const held = holder.lock(() => sleep(1_500))
    await sleep(50)
    let ran = false
    const started = performance.now()
    const waiter = new FileTokenStore({ path, lock: { timeoutMs: 300 } })
    expect(await settledCode(waiter.lock(async () => (ran = true)))).toBe(TOKEN_STORE_LOCK_TIMEOUT)
    expect(performance.now() - started).toBeLessThan(1_200)
    await held
    await sleep(50)
    expect(ran).toBe(false)
  })

  it('taking the lock again from inside it fails at once with a typed error, through any store on the same file', async () => {
    const path = freshPath()
    const store = new FileTokenStore({ path }) // waits 30 s by default
    const started = performance.now()
    expect(await settledCode(store.lock(() => store.lock(async () => 'inner')))).toBe(TOKEN_STORE_LOCK_REENTERED)
    expect(await settledCode(store.lock(() => new FileTokenStore({ path }).lock(async () => 'inner')))).toBe(TOKEN_STORE_LOCK_REENTERED)
    expect(performance.now() - started).toBeLessThan(1_000)
    // And the lock is free afterwards.
    expect(await store.lock(async () => 'free')).toBe('free')
  })
})

describe('a holder that lost its lock stops', () => {
  it('a lock taken over from another host while its holder was inside: the signal aborts, confirm() and save refuse, the file is untouched', async () => {
    const path = freshPath()
    const store = new FileTokenStore({ path, lock: { staleMs: 150 } })
    await store.save(sampleTokens(1))
    let lease: LockLease | undefined
    const outcome = store.lock(async (l) => {
      lease = l
      // Another host judged this lock abandoned and took it.
      writeFileSync(`${path}.lock`, JSON.stringify({ token: 'theirs', pid: 1, host: 'another-host' }))
      await sleep(200) // a heartbeat runs meanwhile and notices
      expect(l.signal.aborted).toBe(true)
      await expect(l.confirm()).rejects.toMatchObject({ code: TOKEN_STORE_LOCK_LOST })
      await store.save(sampleTokens(2))
    })
    expect(await settledCode(outcome)).toBe(TOKEN_STORE_LOCK_LOST)
    expect(lease?.signal.aborted).toBe(true)
    expect((await store.load())?.accessToken).toBe(sampleTokens(1).accessToken)
    // The new holder's lock stays.
    expect(JSON.parse(readFileSync(`${path}.lock`, 'utf8')).token).toBe('theirs')
  })
})

describe('read-only stores still refresh', () => {
  it('a token file on a read-only mount (a Kubernetes Secret) is refreshed in memory, and the manager says so once', async () => {
    const dir = join(root, `secret-${++n}`)
    mkdirSync(dir)
    const path = join(dir, 'oauth_tokens.json')
    const tokens = await login()
    await new FileTokenStore({ path }).save({ ...tokens, expiresAt: Date.now() - 1_000 })
    const before = readFileSync(path, 'utf8')
    execFileSync('mount', ['--bind', dir, dir])
    try {
      execFileSync('mount', ['-o', 'remount,bind,ro', dir])
      expect(() => writeFileSync(join(dir, 'probe'), 'x')).toThrow(/EROFS/)
      const warnings: string[] = []
      const manager = new TokenManager({ tokenStorage: new FileTokenStore({ path }), oauthConfig: server.config, onWarning: (m) => warnings.push(m) })
      const grants = server.events.refreshGrants
      const first = await manager.getAccessToken()
      expect(first).not.toBe(tokens.accessToken)
      const second = (await manager.refresh()).accessToken
      expect(second).not.toBe(first)
      expect(server.events.refreshGrants).toBe(grants + 2)
      expect(server.events.errors).toEqual([])
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain('read-only')
      expect(warnings[0]).toContain(path)
      expect(readFileSync(path, 'utf8')).toBe(before)
    } finally {
      execFileSync('umount', [dir])
    }
  }, 30_000)
})

describe('Windows renames are retried', () => {
  /** Makes node:fs's rename fail with `code` for the next `times` calls (every module sees it). */
  function failRenames(code: string, times: number): { calls: () => number; restore: () => void } {
    const original = fs.promises.rename
    let calls = 0
    fs.promises.rename = async (from, to) => {
      calls++
      if (calls <= times) throw Object.assign(new Error(`${code}: operation not permitted, rename`), { code })
      return original(from, to)
    }
    syncBuiltinESMExports()
    return {
      calls: () => calls,
      restore: () => {
        fs.promises.rename = original
        syncBuiltinESMExports()
      },
    }
  }

  it('a rename that fails with EPERM or EBUSY (an antivirus, an indexer) a few times is retried, and the save succeeds', async () => {
    const path = freshPath()
    const store = new FileTokenStore({ path })
    await store.save(sampleTokens(1))
    for (const code of ['EPERM', 'EBUSY']) {
      const injected = failRenames(code, 3)
      try {
        await store.save(sampleTokens(2))
      } finally {
        injected.restore()
      }
      expect(injected.calls()).toBe(4)
      expect((await store.load())?.accessToken).toBe(sampleTokens(2).accessToken)
    }
  })

  it('a rename that keeps failing ends the save with a typed error; the previous file and no temporary file remain', async () => {
    const path = freshPath()
    const store = new FileTokenStore({ path })
    await store.save(sampleTokens(1))
    const injected = failRenames('EBUSY', Infinity)
    let code: string | undefined
    try {
      code = await settledCode(store.save(sampleTokens(2)))
    } finally {
      injected.restore()
    }
    expect(code).toBe(TOKEN_STORE_WRITE_FAILED)
    expect(injected.calls()).toBe(8)
    expect((await store.load())?.accessToken).toBe(sampleTokens(1).accessToken)
    expect(fs.readdirSync(join(path, '..')).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })
})

describe('one refresh does each thing once (#13)', () => {
  it('reads the token file once under the lock and writes it once, keeping the fields other tools wrote', async () => {
    const path = freshPath()
    const store = new FileTokenStore({ path })
    await store.save({ ...(await login()), expiresAt: Date.now() - 1_000 })
    // Another tool's field, which a save must keep.
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), subscription_type: 'max' }))
    const manager = new TokenManager({ tokenStorage: store, oauthConfig: server.config })
    await manager.getTokens() // loads outside the lock (the token is expired), then refreshes under it

    const reads: string[] = []
    const renames: string[] = []
    const { readFile, rename } = fs.promises
    fs.promises.readFile = (async (file: Parameters<typeof readFile>[0], ...rest: unknown[]) => {
      reads.push(String(file))
      return (readFile as (...a: unknown[]) => Promise<unknown>)(file, ...rest)
    }) as typeof readFile
    fs.promises.rename = async (from, to) => {
      renames.push(String(to))
      return rename(from, to)
    }
    syncBuiltinESMExports()
    try {
      // Forced, as after a 401: one load under the lock, one request, one save.
      const before = manager.refreshCount
      await manager.refresh()
      expect(manager.refreshCount).toBe(before + 1)
    } finally {
      fs.promises.readFile = readFile
      fs.promises.rename = rename
      syncBuiltinESMExports()
    }
    expect(reads.filter((file) => file === path)).toHaveLength(1)
    expect(renames.filter((file) => file === path)).toHaveLength(1)
    const written = JSON.parse(readFileSync(path, 'utf8'))
    expect(written.subscription_type).toBe('max')
    expect(written.access_token).toBe(manager.oauthTokens!.accessToken)
  })

  it('a save under the lock with no load before it still reads the file once, and refuses to replace a corrupt one', async () => {
    const path = freshPath()
    const store = new FileTokenStore({ path })
    await store.save(sampleTokens(1))
    writeFileSync(path, '{"access_token": ')
    await expect(store.lock(() => store.save(sampleTokens(2)))).rejects.toMatchObject({ code: TOKEN_STORE_CORRUPT })
    expect(readFileSync(path, 'utf8')).toBe('{"access_token": ')
  })
})

describe('waiting at the floor: a refresh waiting for the lock takes what the holder saved', () => {
  it('a manager whose token expired, while another holder refreshes under the lock, uses the saved tokens at once, without the lock and without a request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oauth-floor-'))
    try {
      const path = join(dir, 'tokens.json')
      // Nothing listens here: a refresh this manager sent itself would fail.
      const config = { clientId: 'floor', authorizeUrl: 'http://127.0.0.1:9/authorize', tokenUrl: 'http://127.0.0.1:9/token', redirectUri: 'http://127.0.0.1/callback' }
      const expired = { ...sampleTokens(1), expiresAt: Date.now() - 1_000 }
      await new FileTokenStore({ path }).save(expired)
      const waiter = new TokenManager({ oauthConfig: config, tokenStorage: new FileTokenStore({ path }), oauthRequestOptions: { retry: false } })
      const fresh = { ...sampleTokens(2), expiresAt: Date.now() + 3_600_000 }
      let held = true
      let resolvedWhileHeld: boolean | undefined
      // Another process's refresh: it takes the lock first; the waiter then finds the token
      // expired and waits for the lock; the holder saves, and keeps the lock until the waiter is
      // served (or 10 s pass).
      const holder = new FileTokenStore({ path })
      let locked!: () => void
      let saveNow!: () => void
      const isLocked = new Promise<void>((resolve) => (locked = resolve))
      const mayPass = new Promise<void>((resolve) => (saveNow = resolve))
      let waiting: Promise<string> = new Promise(() => undefined)
      const holding = holder.lock(async () => {
        locked()
        await mayPass
        await holder.save(fresh)
        await Promise.race([waiting, sleep(10_000)])
        held = false
      })
      await isLocked
      waiting = waiter.getAccessToken().then((token) => {
        resolvedWhileHeld = held
        return token
      })
      await sleep(50) // the waiter is waiting for the lock by now (if not, the save wakes it anyway)
      saveNow()
      await holding
      expect(await waiting).toBe(fresh.accessToken)
      expect(resolvedWhileHeld).toBe(true)
      expect(waiter.refreshCount).toBe(0)
      // The waiter, served, still takes the lock it was waiting for and lets it go: only then is
      // the folder removed (it was once removed while the lock file was being made: ENOTEMPTY).
      await waiter.settle()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

