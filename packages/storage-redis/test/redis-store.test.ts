import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { TOKEN_STORE_CORRUPT, TOKEN_STORE_LOCK_TIMEOUT, TOKEN_STORE_UNAVAILABLE } from '@oauth/core'
import { bundleNodeScript, describeTokenStoreConformance, startNodeScript, startRedisServer, type RedisServer } from '@oauth/test-utils'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisTokenStore } from '../src/index.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
let server: RedisServer
const clients: { quit(): Promise<unknown> }[] = []
let n = 0

function ioredis(): Redis {
  const client = new Redis(server.url)
  clients.push(client)
  return client
}

beforeAll(async () => {
  server = await startRedisServer()
}, 30_000)
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit().catch(() => undefined)))
  await server.stop()
})

/** Redis ends every subscriber's connection, as it does to one whose output buffer overflows. */
async function cutListener(): Promise<void> {
  await ioredis().client('KILL', 'TYPE', 'pubsub')
}

describeTokenStoreConformance(
  'RedisTokenStore (ioredis)',
  async () => {
    const key = `test:${++n}`
    const client = ioredis()
    return { store: new RedisTokenStore({ client, key }), sibling: () => new RedisTokenStore({ client: ioredis(), key }), corrupt: async () => void (await client.set(key, 'not json')), cutListener }
  },
  { lock: true, shared: true, corruptible: true, changes: true, reconnects: true },
)

describeTokenStoreConformance(
  'RedisTokenStore (node-redis)',
  async () => {
    const key = `test:${++n}`
    const open = async () => {
      const client = createClient({ url: server.url })
      await client.connect()
      clients.push(client)
      return new RedisTokenStore({ client, key })
    }
    return { store: await open(), sibling: open, corrupt: async () => void (await ioredis().set(key, 'not json')), cutListener }
  },
  { lock: true, shared: true, corruptible: true, changes: true, reconnects: true },
)

describe('RedisTokenStore', () => {
  it('reports a corrupt value with its key', async () => {
    const redis = ioredis()
    await redis.set('test:corrupt', '{"access_token": ')
    await expect(new RedisTokenStore({ client: redis, key: 'test:corrupt' }).load()).rejects.toMatchObject({
      code: TOKEN_STORE_CORRUPT,
      message: expect.stringContaining('redis key test:corrupt'),
    })
  })

  it('reports an unreachable server as unavailable, not as "no tokens"', async () => {
    const redis = new Redis({ port: 1, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true })
    redis.on('error', () => undefined) // the store reports it; ioredis would also log it
    await expect(new RedisTokenStore({ client: redis }).load()).rejects.toMatchObject({ code: TOKEN_STORE_UNAVAILABLE, message: expect.stringContaining('REDIS_URL') })
    redis.disconnect()
  })

  it('refuses something that is not a client', () => {
    expect(() => new RedisTokenStore({ client: {} as never })).toThrow(/ioredis client, a node-redis client/)
  })

  it('frees the lock of a holder that died once its TTL passes, and not before', async () => {
    const script = await bundleNodeScript(join(packageDir, 'test/fixtures/hold-lock.ts'), packageDir)
    const child = startNodeScript(script, [server.url, 'test:dead-holder', '1500'])
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => String(d).includes('locked') && resolve()))
    child.kill('SIGKILL')
    const store = new RedisTokenStore({ client: ioredis(), key: 'test:dead-holder', lock: { timeoutMs: 300 } })
    await expect(store.lock(async () => 'too early')).rejects.toMatchObject({ code: TOKEN_STORE_LOCK_TIMEOUT })
    const patient = new RedisTokenStore({ client: ioredis(), key: 'test:dead-holder', lock: { timeoutMs: 5_000 } })
    expect(await patient.lock(async () => 'after expiry')).toBe('after expiry')
  }, 30_000)

  it('renews a lock held longer than its TTL, so nobody takes it early', async () => {
    const a = new RedisTokenStore({ client: ioredis(), key: 'test:long', lock: { staleMs: 300 } })
    const b = new RedisTokenStore({ client: ioredis(), key: 'test:long', lock: { staleMs: 300, timeoutMs: 5_000 } })
    let released = 0
    const held = a.lock(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_200))
      released = Date.now()
    })
    await new Promise((resolve) => setTimeout(resolve, 30))
    const taken = await b.lock(async () => Date.now())
    await held
    expect(taken).toBeGreaterThanOrEqual(released)
  }, 30_000)

  it('keeps tokens out of its JSON and inspection', () => {
    expect(JSON.stringify(new RedisTokenStore({ client: ioredis(), key: 'k' }))).toBe('{"store":"redis","key":"k"}')
  })
})
