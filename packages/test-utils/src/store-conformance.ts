// One conformance suite, written once, run against every TokenStore adapter.
import { inspect } from 'node:util'
import { TOKEN_STORE_CORRUPT, type OAuthTokens, type TokenStore, type TokenStoreChange } from '@oauth/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

export interface StoreUnderTest {
  store: TokenStore
  /** A second handle on the same backing storage (another "process"), when the adapter has one. */
  sibling?: () => TokenStore | Promise<TokenStore>
  cleanup?: () => Promise<void> | void
  /** Puts an unreadable item where the store keeps its tokens (bad JSON, a malformed variable), when the backend can hold one. */
  corrupt?: () => Promise<void> | void
  /** Cuts the connection the store listens for changes on, as the backend would (a restart, a killed session), when it has one. */
  cutListener?: () => Promise<void> | void
}

export function sampleTokens(n: number): OAuthTokens {
  return {
    accessToken: `sk-ant-oat01-SECRET-access-${n}`,
    refreshToken: `sk-ant-ort01-SECRET-refresh-${n}`,
    expiresAt: 1_800_000_000_000 + n * 1000,
    tokenType: 'Bearer',
    scope: 'user:inference user:profile',
    organization: { uuid: `org-${n}`, name: 'Example Org' },
    account: { uuid: `acct-${n}`, emailAddress: `dev${n}@example.com` },
  }
}

export interface StoreCapabilities {
  /** The store has `lock`, which must exclude other holders. */
  lock: boolean
  /** `sibling()` gives another handle on the same storage, as another process would have. */
  shared: boolean
  /** The backend can hold an unreadable item, and `corrupt()` puts one there (every store but memory). */
  corruptible?: boolean
  /** The store has `subscribe`, telling of a sibling's saves and removals (never its own). */
  changes?: boolean
  /** `cutListener()` cuts the store's listening connection: a change made while it was cut is told once it is back. */
  reconnects?: boolean
}

export function describeTokenStoreConformance(name: string, create: () => Promise<StoreUnderTest>, capabilities: StoreCapabilities): void {
  describe(`${name}: TokenStore conformance`, () => {
    let subject: StoreUnderTest
    beforeEach(async () => {
      subject = await create()
    })
    afterEach(async () => {
      await subject.cleanup?.()
    })

    it('loads null and reports no tokens when empty', async () => {
      expect(await subject.store.load()).toBeNull()
      expect(await subject.store.exists()).toBe(false)
    })

    it('round-trips a full token set', async () => {
      await subject.store.save(sampleTokens(1))
      expect(await subject.store.load()).toEqual(sampleTokens(1))
      expect(await subject.store.exists()).toBe(true)
    })

    it('round-trips a minimal token set', async () => {
      const minimal: OAuthTokens = { accessToken: 'at-only', tokenType: 'Bearer', scope: '' }
      await subject.store.save(minimal)
      expect(await subject.store.load()).toEqual(minimal)
    })

    it('replaces what was saved before', async () => {
      await subject.store.save(sampleTokens(1))
      await subject.store.save(sampleTokens(2))
      expect(await subject.store.load()).toEqual(sampleTokens(2))
    })

    it('clears, and clearing an empty store is fine', async () => {
      await subject.store.save(sampleTokens(1))
      await subject.store.clear()
      expect(await subject.store.load()).toBeNull()
      expect(await subject.store.exists()).toBe(false)
      await subject.store.clear()
    })

    // The exists()/clear() contract: a corrupt item exists, and clear() is how a user recovers from it.
    if (capabilities.corruptible) it('a corrupt item exists, fails to load with TOKEN_STORE_CORRUPT, and clear() removes it', async () => {
      await subject.corrupt!()
      expect(await subject.store.exists()).toBe(true)
      await expect(subject.store.load()).rejects.toMatchObject({ code: TOKEN_STORE_CORRUPT })
      await subject.store.clear()
      expect(await subject.store.exists()).toBe(false)
      expect(await subject.store.load()).toBeNull()
    })

    it('does not let a caller change stored tokens by mutating what it loaded or saved', async () => {
      const saved = sampleTokens(3)
      await subject.store.save(saved)
      saved.accessToken = 'mutated'
      const loaded = (await subject.store.load())!
      loaded.refreshToken = 'mutated'
      expect(await subject.store.load()).toEqual(sampleTokens(3))
    })

    it('never yields a torn value from concurrent saves', async () => {
      const sets = Array.from({ length: 30 }, (_, i) => sampleTokens(100 + i))
      const readers: Promise<OAuthTokens | null>[] = []
      await Promise.all(
        sets.map(async (t, i) => {
          await subject.store.save(t)
          if (i % 3 === 0) readers.push(subject.store.load())
        }),
      )
      for (const read of [...(await Promise.all(readers)), await subject.store.load()]) {
        expect(sets).toContainEqual(read)
      }
    })

    it('shows no token in JSON.stringify or util.inspect', async () => {
      await subject.store.save(sampleTokens(4))
      const shown = `${JSON.stringify(subject.store)}\n${inspect(subject.store, { depth: 10, showHidden: true })}`
      expect(shown).not.toContain('SECRET')
    })

    it('has a lock exactly when it says so', () => {
      expect(typeof subject.store.lock).toBe(capabilities.lock ? 'function' : 'undefined')
    })

    // Registered only where it applies: a test that cannot fail, or a skipped one, proves nothing.
    if (capabilities.shared) it('shares saved tokens with another handle on the same storage', async () => {
      await subject.store.save(sampleTokens(5))
      const other = await subject.sibling!()
      expect(await other.load()).toEqual(sampleTokens(5))
    })

    if (capabilities.lock) it('excludes other lock holders, returns the result, and releases after a failure', async () => {
      const store = subject.store as Required<TokenStore>
      const handles = [store, ...(subject.sibling ? [await subject.sibling(), await subject.sibling()] : [])]
      let active = 0
      let maxActive = 0
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          handles[i % handles.length]!.lock!(async () => {
            active++
            maxActive = Math.max(maxActive, active)
            await new Promise((resolve) => setTimeout(resolve, 5))
            active--
            return i
          }),
        ),
      )
      expect(maxActive).toBe(1)
      expect(results).toEqual(Array.from({ length: 12 }, (_, i) => i))
      await expect(store.lock(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
      expect(await store.lock(async () => 'free again')).toBe('free again')
    })

    if (capabilities.changes) it("tells of another handle's saves and removals, not its own, until stopped", async () => {
      expect(subject.store.subscribe).toBeTypeOf('function')
      const seen: TokenStoreChange[] = []
      const stop = subject.store.subscribe!((change) => seen.push(change))
      const other = await subject.sibling!()
      const until = async (what: TokenStoreChange, act: () => Promise<void>) => {
        // A store may start listening a moment after subscribe() returns: act until it is heard.
        for (let i = 0; i < 100 && !seen.includes(what); i++) {
          await act()
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        expect(seen).toContain(what)
      }
      await until('saved', () => other.save(sampleTokens(7)))
      await until('cleared', () => other.clear())
      seen.length = 0
      await subject.store.save(sampleTokens(8))
      await subject.store.clear()
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(seen).toEqual([])
      stop()
      await other.save(sampleTokens(9))
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(seen).toEqual([])
    })

    if (capabilities.reconnects) it('tells of a change a sibling made while its listening connection was cut, once the connection is back', async () => {
      const seen: TokenStoreChange[] = []
      const stop = subject.store.subscribe!((change) => seen.push(change))
      const other = await subject.sibling!()
      // Listening first (a store may start a moment after subscribe() returns).
      for (let i = 0; i < 100 && seen.length === 0; i++) {
        await other.save(sampleTokens(1))
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(seen).toContain('saved')
      const heard = seen.length
      await subject.cutListener!()
      // Saved while nobody listens: a manager that holds the old tokens must still learn of it.
      await other.save(sampleTokens(2))
      for (let i = 0; i < 100 && seen.length === heard; i++) await new Promise((resolve) => setTimeout(resolve, 50))
      expect(seen.slice(heard)).toContain('saved')
      stop()
    })
  })
}

/**
 * `store` without `subscribe`, with `interrupt` run once, as the first load inside its lock
 * begins: the moment a token manager re-reads the store before it refreshes. The lease tests
 * pause the process or kill the holder's session there.
 */
export function interruptFirstLoadUnderLock(store: TokenStore & Required<Pick<TokenStore, 'lock'>>, interrupt: () => unknown): TokenStore {
  let locked = false
  let interrupted = false
  return {
    name: store.name,
    save: (tokens) => store.save(tokens),
    clear: () => store.clear(),
    exists: () => store.exists(),
    lock: (fn) => store.lock((lease) => ((locked = true), fn(lease))),
    load: async () => {
      if (locked && !interrupted) {
        interrupted = true
        await interrupt()
      }
      return store.load()
    },
  }
}
