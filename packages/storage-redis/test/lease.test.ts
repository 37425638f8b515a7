// The Redis lock under hostile-but-ordinary conditions, against a real redis-server and a real
// rotating OAuth server: a holder paused past its lease (its event loop blocked, as a paused
// process is), a lock deleted under its holder (before and while its refresh is on the wire),
// a waiter in the same process, re-entry, and a full Redis whose errors carry the command's
// arguments.
import { inspect } from 'node:util'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import {
  TOKEN_STORE_LOCK_LOST,
  TOKEN_STORE_LOCK_REENTERED,
  TOKEN_STORE_LOCK_TIMEOUT,
  TOKEN_STORE_UNAVAILABLE,
  type LockLease,
  sleep,
} from '@oauth/core'
import { TokenManager } from '@oauth/http'
import { bundleNodeScript, interruptFirstLoadUnderLock, loginAt, sampleTokens, settledCode, startAuthorizationServer, startNodeScript, startRedisServer, type AuthorizationServer, type RedisServer } from '@oauth/test-utils'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisTokenStore } from '../src/index.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
let redis: RedisServer
let server: AuthorizationServer
let holdLock: string
const clients: Redis[] = []
let n = 0
/** Blocks this whole process (timers, sockets, everything) as SIGSTOP or a debugger would. */
const pauseProcess = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

function client(): Redis {
  const c = new Redis(redis.url)
  clients.push(c)
  return c
}

beforeAll(async () => {
  redis = await startRedisServer()
  server = await startAuthorizationServer({ accessTokenTtl: 60 })
  holdLock = await bundleNodeScript(join(packageDir, 'test/fixtures/hold-lock.ts'), packageDir)
}, 60_000)
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit().catch(() => undefined)))
  await redis.destroy()
  await server.close()
})

const login = () => loginAt(server.config, (url) => server.authorize(url))

describe('a holder that lost its lease stops', () => {
  it('a manager paused past its lease while another process takes the lock sends no refresh and saves nothing', async () => {
    const key = `lease:${++n}`
    const expired = { ...(await login()), expiresAt: Date.now() - 1_000 }
    const store = new RedisTokenStore({ client: client(), key, lock: { staleMs: 300 } })
    await store.save(expired)
    let other: ReturnType<typeof startNodeScript> | undefined
    let otherLocked: Promise<void> | undefined
    // The pause comes right after the lock is taken, when the manager re-reads the store under it.
    const pausing = interruptFirstLoadUnderLock(store, () => {
      other = startNodeScript(holdLock, [redis.url, key, '15000']) // another host, waiting for the lock
      otherLocked = new Promise<void>((resolve) => other!.stdout!.on('data', (d: Buffer) => String(d).includes('locked') && resolve()))
      pauseProcess(2_500) // the lease (300 ms) lapses meanwhile; the other process takes the lock
    })
    const manager = new TokenManager({ tokenStorage: pausing, oauthConfig: server.config })
    const grants = server.events.refreshGrants
    try {
      expect(await settledCode(manager.getAccessToken())).toBe(TOKEN_STORE_LOCK_LOST)
      await otherLocked
      expect(server.events.refreshGrants).toBe(grants) // nothing was sent after the lease was lost
      expect(manager.refreshCount).toBe(0)
      expect((await store.load())?.refreshToken).toBe(expired.refreshToken)
    } finally {
      other?.kill('SIGKILL')
    }
  }, 30_000)

  it('a save made after the lease lapsed is fenced: refused, and the stored tokens are unchanged', async () => {
    const key = `lease:${++n}`
    const store = new RedisTokenStore({ client: client(), key, lock: { staleMs: 200 } })
    await store.save(sampleTokens(1))
    const outcome = store.lock(async () => {
      pauseProcess(600)
      await store.save(sampleTokens(2))
    })
    expect(await settledCode(outcome)).toBe(TOKEN_STORE_LOCK_LOST)
    expect((await store.load())?.accessToken).toBe(sampleTokens(1).accessToken)
  })

  it('a renewal that finds the lock gone aborts the holder’s signal, as Redlock’s `using` does', async () => {
    const key = `lease:${++n}`
    const store = new RedisTokenStore({ client: client(), key, lock: { staleMs: 300 } })
    const admin = client()
    let lease: LockLease | undefined
    await store.lock(async (l) => {
      lease = l
      await admin.del(`${key}:lock`) // an operator, or a failover that lost the key
      const deadline = Date.now() + 2_000
      while (!l.signal.aborted && Date.now() < deadline) await sleep(20)
      expect(l.signal.aborted).toBe(true)
      expect(l.signal.reason).toMatchObject({ code: TOKEN_STORE_LOCK_LOST })
      await expect(l.confirm()).rejects.toMatchObject({ code: TOKEN_STORE_LOCK_LOST })
    })
    expect(lease?.signal.aborted).toBe(true)
  })

  it('its lock lapsed while its refresh was on the wire: another holder that takes the lock meanwhile sends nothing; the answer is saved, and used by both', async () => {
    const key = `lease:${++n}`
    const admin = client()
    const expired = { ...(await login()), expiresAt: Date.now() - 1_000 }
    await new RedisTokenStore({ client: client(), key }).save(expired)
    const grants = server.events.refreshGrants
    const other = new TokenManager({ tokenStorage: new RedisTokenStore({ client: client(), key, lock: { timeoutMs: 5_000 } }), oauthConfig: server.config })
    let meanwhile: string | undefined
    // The holder confirmed its lock and its request is on its way when the lock lapses (its
    // renewals cut off from Redis, a pause, a failover that lost the key); another process takes it.
    const onTheWire: typeof fetch = async (input, init) => {
      expect(await admin.del(`${key}:lock`)).toBe(1)
      meanwhile = await settledCode(other.getAccessToken())
      return fetch(input, init)
    }
    const holder = new TokenManager({ tokenStorage: new RedisTokenStore({ client: client(), key }), oauthConfig: server.config, oauthRequestOptions: { fetch: onTheWire } })
    const token = await holder.getAccessToken()
    // The other holder found a refresh sent and not saved yet: it sent nothing.
    expect(meanwhile).toBe(TOKEN_STORE_LOCK_LOST)
    expect(server.events.refreshGrants).toBe(grants + 1)
    expect(server.events.errors).toEqual([]) // the refresh token was presented once
    // The answer was not dropped with the lock: saved (nobody wrote since), and the other uses it.
    expect(await other.getAccessToken()).toBe(token)
    expect(server.events.refreshGrants).toBe(grants + 1)
    expect(await admin.exists(`${key}:refreshing`)).toBe(0)
  })

  it('a refresh sent before the lock lapsed is saved only if nobody wrote since: a newer holder’s save stays', async () => {
    const key = `lease:${++n}`
    const admin = client()
    const store = new RedisTokenStore({ client: client(), key })
    const other = new RedisTokenStore({ client: client(), key, lock: { timeoutMs: 5_000 } })
    await store.save(sampleTokens(1))
    const outcome = store.lock(async (lease) => {
      await lease.confirm() // about to send a refresh
      await admin.del(`${key}:lock`)
      await other.lock(async () => other.save(sampleTokens(3))) // a login made meanwhile, under the lock
      await store.save(sampleTokens(4))
    })
    expect(await settledCode(outcome)).toBe(TOKEN_STORE_LOCK_LOST)
    expect((await store.load())?.accessToken).toBe(sampleTokens(3).accessToken)
  })

  it('a holder whose refresh failed leaves no mark: the next holder refreshes at once', async () => {
    const key = `lease:${++n}`
    const expired = { ...(await login()), expiresAt: Date.now() - 1_000 }
    await new RedisTokenStore({ client: client(), key }).save(expired)
    const down: typeof fetch = async () => {
      throw new TypeError('fetch failed')
    }
    const failing = new TokenManager({ tokenStorage: new RedisTokenStore({ client: client(), key }), oauthConfig: server.config, oauthRequestOptions: { fetch: down, retry: false } })
    expect(await settledCode(failing.getAccessToken())).not.toBe(TOKEN_STORE_LOCK_LOST)
    const grants = server.events.refreshGrants
    const next = new TokenManager({ tokenStorage: new RedisTokenStore({ client: client(), key, lock: { timeoutMs: 2_000 } }), oauthConfig: server.config })
    await next.getAccessToken()
    expect(server.events.refreshGrants).toBe(grants + 1)
  })
})

describe('a client that resends', () => {
  it('an acquisition whose reply was lost and that the client sent again takes the lock, instead of waiting out its own', async () => {
    const key = `lease:${++n}`
    const redisClient = client()
    let resent = 0
    // As ioredis after a reconnect (autoResendUnfulfilledCommands): the command ran, its reply
    // was lost with the connection, and the client sends it again.
    const resending = async (args: string[]) => {
      const acquiring = args.some((a) => a === 'NX' || a.includes("'NX'")) // SET NX, or a script that runs it
      if (acquiring && resent++ === 0) await redisClient.call(args[0]!, ...args.slice(1))
      return redisClient.call(args[0]!, ...args.slice(1))
    }
    const store = new RedisTokenStore({ client: resending, key, lock: { timeoutMs: 1_000 } })
    expect(await store.lock(async () => 'held')).toBe('held')
    expect(resent).toBeGreaterThan(0)
    expect(await redisClient.exists(`${key}:lock`)).toBe(0) // and released
  })
})

describe('waiting has an end', () => {
  it('a waiter in the same process gives up after lock.timeoutMs, and its function never runs', async () => {
    const store = new RedisTokenStore({ client: client(), key: `lease:${++n}`, lock: { timeoutMs: 300 } })
    const held = store.lock(() => sleep(1_500))
    await sleep(50)
    let ran = false
    const started = performance.now()
    expect(await settledCode(store.lock(async () => (ran = true)))).toBe(TOKEN_STORE_LOCK_TIMEOUT)
    expect(performance.now() - started).toBeLessThan(1_200)
    await held
    await sleep(50)
    expect(ran).toBe(false)
  })

  it('taking the lock again from inside it fails at once with a typed error', async () => {
    const store = new RedisTokenStore({ client: client(), key: `lease:${++n}` }) // waits 30 s by default
    const started = performance.now()
    expect(await settledCode(store.lock(() => store.lock(async () => 'inner')))).toBe(TOKEN_STORE_LOCK_REENTERED)
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(await store.lock(async () => 'free')).toBe('free')
  })
})

describe('no token at any depth', () => {
  it('a full Redis (maxmemory reached) refuses the save; no token is reachable from the error, at any depth', async () => {
    const admin = client()
    const store = new RedisTokenStore({ client: client(), key: `lease:${++n}` })
    const secret = { ...sampleTokens(3), accessToken: 'sk-ant-oat01-FULL-REDIS-access', refreshToken: 'sk-ant-ort01-FULL-REDIS-refresh' }
    await admin.config('SET', 'maxmemory-policy', 'noeviction')
    await admin.config('SET', 'maxmemory', '1')
    let err: unknown
    let raw: unknown
    try {
      err = await store.save(secret).then(() => undefined, (e: unknown) => e)
      raw = await admin.set('probe', 'FULL-REDIS-probe').then(() => undefined, (e: unknown) => e)
    } finally {
      await admin.config('SET', 'maxmemory', '0')
    }
    // What the client itself throws carries the command's arguments (ioredis: `command.args`).
    expect(inspect(raw, { depth: Infinity, showHidden: true })).toContain('FULL-REDIS-probe')
    expect(err).toMatchObject({ code: TOKEN_STORE_UNAVAILABLE, message: expect.stringContaining('OOM') })
    const everything = `${inspect(err, { depth: Infinity, showHidden: true })}\n${JSON.stringify(err)}\n${String((err as Error).stack)}`
    expect(everything).not.toContain('FULL-REDIS')
  })
})
