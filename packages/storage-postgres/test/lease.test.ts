// The Postgres lock under hostile-but-ordinary conditions, against a real PostgreSQL and a real
// rotating OAuth server: a holder whose backend an operator kills (pg_terminate_backend) before
// and after it refreshes, a holder paused past lock.staleMs, a holder process that dies.
import { inspect } from 'node:util'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TOKEN_STORE_LOCK_LOST, TOKEN_STORE_LOCK_TIMEOUT, sleep } from '@oauth/core'
import { TokenManager } from '@oauth/http'
import {
  bundleNodeScript,
  interruptFirstLoadUnderLock,
  loginAt,
  sampleTokens,
  settledCode,
  startAuthorizationServer,
  startNodeScript,
  startPostgresServer,
  type AuthorizationServer,
  type PostgresServer,
} from '@oauth/test-utils'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate, PostgresTokenStore } from '../src/index.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
let postgres: PostgresServer
let server: AuthorizationServer
let holdLock: string
let admin: pg.Pool
const pools: pg.Pool[] = []
let n = 0
/** Blocks this whole process (timers, sockets, everything) as SIGSTOP or a debugger would. */
const pauseProcess = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

function pool(): pg.Pool {
  const p = new pg.Pool({ connectionString: postgres.url })
  p.on('error', () => undefined) // idle connections an operator kills
  pools.push(p)
  return p
}

beforeAll(async () => {
  postgres = await startPostgresServer()
  server = await startAuthorizationServer({ accessTokenTtl: 60 })
  holdLock = await bundleNodeScript(join(packageDir, 'test/fixtures/hold-lock.ts'), packageDir)
  admin = pool()
  await migrate(admin)
}, 60_000)
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end().catch(() => undefined)))
  await postgres.destroy()
  await server.close()
})

const login = () => loginAt(server.config, (url) => server.authorize(url))

/** Ends the session holding `key`'s lock, as an operator's pg_terminate_backend does. */
async function terminateHolder(key: string): Promise<number> {
  const { rows } = await admin.query(
    `SELECT pg_terminate_backend(pid) AS done FROM pg_locks WHERE locktype = 'advisory' AND granted
       AND ((classid::bigint << 32) | objid::bigint) = (hashtextextended($1, 0) & x'FFFFFFFFFFFFFFFF'::bigint)`,
    [`"oauth_tokens":${key}`],
  )
  return rows.filter((r) => r.done).length
}

describe('a holder whose session ends is fenced', () => {
  it('killed before it refreshes (pg_terminate_backend): it sends no refresh and saves nothing; the next holder refreshes once', async () => {
    const key = `lease:${++n}`
    const expired = { ...(await login()), expiresAt: Date.now() - 1_000 }
    const store = new PostgresTokenStore({ pool: pool(), key })
    await store.save(expired)
    let killed = 0
    // The kill comes right after the lock is taken, when the manager re-reads the store under it.
    const killing = interruptFirstLoadUnderLock(store, async () => (killed = await terminateHolder(key)))
    const grants = server.events.refreshGrants
    const manager = new TokenManager({ tokenStorage: killing, oauthConfig: server.config })
    expect(await settledCode(manager.getAccessToken())).toBe(TOKEN_STORE_LOCK_LOST)
    expect(killed).toBe(1)
    expect(server.events.refreshGrants).toBe(grants) // nothing was sent after the session ended
    expect((await store.load())?.refreshToken).toBe(expired.refreshToken)
    // The lock went with the session: another holder takes it at once and refreshes, once.
    const next = new TokenManager({ tokenStorage: new PostgresTokenStore({ pool: pool(), key, lock: { timeoutMs: 2_000 } }), oauthConfig: server.config })
    await next.getAccessToken()
    expect(server.events.refreshGrants).toBe(grants + 1)
    expect(server.events.errors).toEqual([])
  })

  it('killed after it refreshed: its save is written only over the version it locked, never over a newer holder’s', async () => {
    const key = `lease:${++n}`
    const store = new PostgresTokenStore({ pool: pool(), key })
    const other = new PostgresTokenStore({ pool: pool(), key, lock: { timeoutMs: 5_000 } })
    await store.save(sampleTokens(1))
    // Killed, and nobody wrote since: the refreshed tokens are kept (dropping them would lose the login).
    const kept = await store.lock(async (lease) => {
      expect(await terminateHolder(key)).toBe(1)
      await store.save(sampleTokens(2))
      return lease.signal.aborted
    })
    expect(kept).toBe(true) // the holder was told its lock is gone
    expect((await store.load())?.accessToken).toBe(sampleTokens(2).accessToken)
    // Killed, and another holder took the lock and saved meanwhile: refused, the newer tokens stay.
    const outcome = store.lock(async () => {
      expect(await terminateHolder(key)).toBe(1)
      await other.lock(async () => other.save(sampleTokens(3)))
      await store.save(sampleTokens(4))
    })
    expect(await settledCode(outcome)).toBe(TOKEN_STORE_LOCK_LOST)
    expect((await store.load())?.accessToken).toBe(sampleTokens(3).accessToken)
  })

  it('killed while its refresh is on the wire (a Postgres restart): another holder that takes the lock meanwhile sends nothing; the answer is saved, and used by both', async () => {
    const key = `lease:${++n}`
    const expired = { ...(await login()), expiresAt: Date.now() - 1_000 }
    await new PostgresTokenStore({ pool: pool(), key }).save(expired)
    const grants = server.events.refreshGrants
    const other = new TokenManager({ tokenStorage: new PostgresTokenStore({ pool: pool(), key, lock: { timeoutMs: 5_000 } }), oauthConfig: server.config })
    let meanwhile: string | undefined
    // The holder's session ends after it has marked the row and sent nothing yet; before its
    // request reaches the server, another process takes the lock the session held.
    const onTheWire: typeof fetch = async (input, init) => {
      expect(await terminateHolder(key)).toBe(1)
      meanwhile = await settledCode(other.getAccessToken())
      return fetch(input, init)
    }
    const holder = new TokenManager({ tokenStorage: new PostgresTokenStore({ pool: pool(), key }), oauthConfig: server.config, oauthRequestOptions: { fetch: onTheWire } })
    const token = await holder.getAccessToken()
    // The other holder found the row being refreshed by a holder whose session had ended: it sent nothing.
    expect(meanwhile).toBe(TOKEN_STORE_LOCK_LOST)
    expect(server.events.refreshGrants).toBe(grants + 1)
    expect(server.events.errors).toEqual([]) // the refresh token was presented once
    // The answer was not dropped with the lock: saved (nobody wrote the row since), and the other uses it.
    expect(await other.getAccessToken()).toBe(token)
    expect(server.events.refreshGrants).toBe(grants + 1)
  })

  it('a holder whose refresh failed leaves no mark: the next holder refreshes at once', async () => {
    const key = `lease:${++n}`
    const expired = { ...(await login()), expiresAt: Date.now() - 1_000 }
    await new PostgresTokenStore({ pool: pool(), key }).save(expired)
    const down: typeof fetch = async () => {
      throw new TypeError('fetch failed')
    }
    const failing = new TokenManager({ tokenStorage: new PostgresTokenStore({ pool: pool(), key }), oauthConfig: server.config, oauthRequestOptions: { fetch: down, retry: false } })
    expect(await settledCode(failing.getAccessToken())).not.toBe(TOKEN_STORE_LOCK_LOST)
    const grants = server.events.refreshGrants
    const next = new TokenManager({ tokenStorage: new PostgresTokenStore({ pool: pool(), key, lock: { timeoutMs: 2_000 } }), oauthConfig: server.config })
    await next.getAccessToken()
    expect(server.events.refreshGrants).toBe(grants + 1)
  })

  it('paused past lock.staleMs: the server ends its session and another process takes the lock; the paused holder learns it', async () => {
    const key = `lease:${++n}`
    const store = new PostgresTokenStore({ pool: pool(), key, lock: { staleMs: 300 } })
    await store.save(sampleTokens(1))
    let other: ReturnType<typeof startNodeScript> | undefined
    try {
      const aborted = await store.lock(async (lease) => {
        other = startNodeScript(holdLock, [postgres.url, key, '15000']) // another host, waiting for the lock
        const otherLocked = new Promise<void>((resolve) => other!.stdout!.on('data', (d: Buffer) => String(d).includes('locked') && resolve()))
        pauseProcess(3_000) // idle_session_timeout (300 ms) ends this session meanwhile
        await otherLocked // the other process got the lock while this one was paused
        await expect(lease.confirm()).rejects.toMatchObject({ code: TOKEN_STORE_LOCK_LOST }) // so it sends no refresh
        // Had it refreshed before the pause, its tokens must not be lost: nobody wrote the row
        // since it locked it, so the version lets this one save through.
        await store.save(sampleTokens(2))
        return lease.signal.aborted
      })
      expect(aborted).toBe(true)
      expect((await store.load())?.accessToken).toBe(sampleTokens(2).accessToken)
      // The lock is really the other process's: a third holder waits and gives up.
      await expect(new PostgresTokenStore({ pool: pool(), key, lock: { timeoutMs: 300 } }).lock(async () => 'mine')).rejects.toMatchObject({ code: TOKEN_STORE_LOCK_TIMEOUT })
    } finally {
      other?.kill('SIGKILL')
    }
  }, 30_000)

  it('a holder process that dies frees the lock at once, without waiting for any timeout', async () => {
    const key = `lease:${++n}`
    const child = startNodeScript(holdLock, [postgres.url, key, '60000'])
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => String(d).includes('locked') && resolve()))
    const waiter = new PostgresTokenStore({ pool: pool(), key, lock: { timeoutMs: 10_000 } })
    await expect(new PostgresTokenStore({ pool: pool(), key, lock: { timeoutMs: 300 } }).lock(async () => 'early')).rejects.toMatchObject({ code: TOKEN_STORE_LOCK_TIMEOUT })
    const started = performance.now()
    const taken = waiter.lock(async () => performance.now() - started)
    await sleep(200)
    child.kill('SIGKILL')
    const waited = await taken
    expect(waited).toBeGreaterThanOrEqual(150)
    expect(waited).toBeLessThan(9_000) // its staleMs was 60 s: the socket closing freed it
  }, 30_000)

  it('no token in the lost-lock error, at any depth', async () => {
    const key = `lease:${++n}`
    const store = new PostgresTokenStore({ pool: pool(), key })
    await store.save(sampleTokens(1))
    const outcome = store.lock(async () => {
      await terminateHolder(key)
      await new PostgresTokenStore({ pool: pool(), key }).save(sampleTokens(5))
      await store.save(sampleTokens(6))
    })
    const err = await outcome.then(() => undefined, (e: unknown) => e)
    expect(err).toMatchObject({ code: TOKEN_STORE_LOCK_LOST })
    expect(`${inspect(err, { depth: Infinity, showHidden: true })}${JSON.stringify(err)}`).not.toContain('SECRET')
  })
})
