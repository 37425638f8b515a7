import { TOKEN_STORE_LOCK_TIMEOUT } from '@oauth/core'
import { describe, expect, it } from 'vitest'
import { describeTokenStoreConformance } from '@oauth/test-utils'
import { MemoryTokenStore } from '../src/index.js'

describeTokenStoreConformance('MemoryTokenStore', async () => ({ store: new MemoryTokenStore() }), { lock: true, shared: false })

describe('MemoryTokenStore lock', () => {
  it('a wait has an end: a lock taken again from inside itself is TOKEN_STORE_LOCK_TIMEOUT after lock.timeoutMs, not a hang', async () => {
    const store = new MemoryTokenStore({ tokens: null, lock: { timeoutMs: 200 } })
    const started = performance.now()
    await expect(store.lock(() => store.lock(async () => 'inner'))).rejects.toMatchObject({ code: TOKEN_STORE_LOCK_TIMEOUT })
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(await store.lock(async () => 'free')).toBe('free')
  })
})
