// Runs inside Chromium, bundled with the vitest shim (see integration/chromium.test.ts): the storage
// conformance suite and the browser store's own behaviour, against the browser's real
// IndexedDB, Web Locks and BroadcastChannel. The page may have removed Web Locks first,
// to run the same suite on the IndexedDB lease.
import { serializeTokens, TOKEN_STORE_CORRUPT, TOKEN_STORE_LOCK_LOST, TOKEN_STORE_LOCK_TIMEOUT, type TokenStoreChange } from '@oauth/core'
import { describeTokenStoreConformance, sampleTokens } from '@oauth/test-utils/store-conformance'
import { describe, expect, it } from 'vitest'
import { BrowserTokenStore } from '../src/index.js'

const webLocks = globalThis.navigator.locks !== undefined
const mode = webLocks ? 'Web Locks' : 'IndexedDB lease (no Web Locks)'
let n = 0
const fresh = () => `${mode}-${Date.now()}-${n++}`

/** Puts a value the store did not write under its key, straight through IndexedDB (`undefined`: deletes it). */
async function putRaw(database: string, key: string, value: unknown, objectStore = 'tokens'): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(database)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction(objectStore, 'readwrite')
    if (value === undefined) tx.objectStore(objectStore).delete(key)
    else tx.objectStore(objectStore).put(value, key)
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(tx.error)
  })
  db.close()
}

describeTokenStoreConformance(
  `BrowserTokenStore, ${mode}`,
  async () => {
    const key = fresh()
    const handles: BrowserTokenStore[] = []
    const open = () => {
      const store = new BrowserTokenStore({ key, database: 'conformance' })
      handles.push(store)
      return store
    }
    const store = open()
    return {
      store,
      sibling: open,
      corrupt: () => putRaw('conformance', key, '{"accessToken": "cut off'),
      cleanup: async () => {
        await store.clear()
        for (const handle of handles) handle.close()
      },
    }
  },
  { lock: true, shared: true, corruptible: true },
)

describe(`BrowserTokenStore, ${mode}`, () => {
  it('tells the other handles of a save and a clear, never sending the tokens', async () => {
    const key = fresh()
    const a = new BrowserTokenStore({ key })
    const b = new BrowserTokenStore({ key })
    const seen: TokenStoreChange[] = []
    const stop = b.subscribe((change) => seen.push(change))
    const ownSeen: TokenStoreChange[] = []
    a.subscribe((change) => ownSeen.push(change))
    await a.save(sampleTokens(1))
    await a.clear()
    for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(seen).toEqual(['saved', 'cleared'])
    expect(ownSeen).toEqual([]) // a handle is not told of its own writes
    stop()
    await a.save(sampleTokens(2))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(seen).toEqual(['saved', 'cleared'])
    a.close()
    b.close()
  })

  it('keeps a corrupt item where it is and names it in the error', async () => {
    const key = fresh()
    await putRaw('oauth-tokens', key, 42)
    const store = new BrowserTokenStore({ key })
    await expect(store.load()).rejects.toMatchObject({ code: TOKEN_STORE_CORRUPT, message: expect.stringContaining(`IndexedDB oauth-tokens/${key}`) })
    expect(await store.exists()).toBe(true)
    store.close()
  })

  it('gives up waiting for a lock another handle holds, with TOKEN_STORE_LOCK_TIMEOUT', async () => {
    const key = fresh()
    const holder = new BrowserTokenStore({ key })
    const waiter = new BrowserTokenStore({ key, lock: { timeoutMs: 200 } })
    let release!: () => void
    let taken!: () => void
    const isTaken = new Promise<void>((resolve) => (taken = resolve))
    const held = holder.lock(() => new Promise<void>((resolve) => ((release = resolve), taken())))
    await isTaken
    const started = performance.now()
    await expect(waiter.lock(async () => 'never')).rejects.toMatchObject({ code: TOKEN_STORE_LOCK_TIMEOUT })
    expect(performance.now() - started).toBeGreaterThanOrEqual(190)
    release()
    await held
    expect(await waiter.lock(async () => 'free')).toBe('free')
  })

  it('refuses an empty key', () => {
    expect(() => new BrowserTokenStore({ key: '' })).toThrow(/non-empty name/)
  })

  /**
   * Inside the lock, as if this tab slept past its lease: another tab takes it and saves, and
   * (`released`) lets it go again. Then this tab's confirm() and save must both refuse.
   */
  async function replacedHolder(key: string, released: boolean): Promise<BrowserTokenStore> {
    const store = new BrowserTokenStore({ key, database: 'conformance', lock: { staleMs: 300 } })
    await store.save(sampleTokens(1))
    const outcome = store.lock(async (lease) => {
      await putRaw('conformance', key, { owner: 'another-tab', expires: Date.now() + 60_000 }, 'leases')
      await putRaw('conformance', key, serializeTokens(sampleTokens(2)))
      if (released) await putRaw('conformance', key, undefined, 'leases')
      await expect(lease.confirm()).rejects.toMatchObject({ code: TOKEN_STORE_LOCK_LOST })
      await store.save(sampleTokens(3))
    })
    await expect(outcome).rejects.toMatchObject({ code: TOKEN_STORE_LOCK_LOST })
    expect(await store.load()).toEqual(sampleTokens(2))
    return store
  }

  if (!webLocks)
    it('a tab whose lease was taken over cannot save: TOKEN_STORE_LOCK_LOST, and the new holder keeps its tokens', async () => {
      const key = fresh()
      const store = await replacedHolder(key, false)
      await putRaw('conformance', key, { owner: 'another-tab', expires: 0 }, 'leases') // lapsed: free again
      expect(await store.lock(async () => 'taken')).toBe('taken')
      store.close()
    })

  if (!webLocks)
    it('a tab whose lease another tab held and released meanwhile does not take it back: TOKEN_STORE_LOCK_LOST', async () => {
      ;(await replacedHolder(fresh(), true)).close()
    })
})
