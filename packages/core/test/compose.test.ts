import { describe, expect, it } from 'vitest'
import { composeStores, TOKEN_STORE_CORRUPT, TOKEN_STORE_UNAVAILABLE, TokenStorageError, type OAuthTokens, type TokenStore } from '../src/index.js'

const t = (name: string): OAuthTokens => ({ accessToken: `at-${name}`, tokenType: 'Bearer', scope: '' })

function store(name: string, initial: OAuthTokens | null, options: { savesInMemoryOnly?: boolean; fail?: string; lock?: boolean } = {}) {
  let tokens = initial
  const calls: string[] = []
  const check = () => {
    if (options.fail) throw new TokenStorageError(options.fail, `${name} failed`)
  }
  const s: TokenStore & { calls: string[]; peek: () => OAuthTokens | null } = {
    name,
    savesInMemoryOnly: options.savesInMemoryOnly,
    calls,
    peek: () => tokens,
    async load() {
      calls.push('load')
      check()
      return tokens
    },
    async save(next) {
      calls.push('save')
      check()
      tokens = next
    },
    async clear() {
      calls.push('clear')
      check()
      tokens = null
    },
    async exists() {
      return tokens !== null
    },
  }
  if (options.lock) s.lock = async (fn) => (calls.push('lock'), fn({ signal: new AbortController().signal, confirm: async () => undefined }))
  return s
}

describe('composeStores', () => {
  it('loads from the first store that has tokens', async () => {
    const a = store('keychain', null)
    const b = store('file', t('file'))
    expect(await composeStores(a, b).load()).toEqual(t('file'))
  })

  it('saves to the first writable store, and locks with its lock', async () => {
    const env = store('env', t('env'), { savesInMemoryOnly: true })
    const file = store('file', null, { lock: true })
    const composed = composeStores(env, file)
    await composed.save(t('new'))
    expect(file.peek()).toEqual(t('new'))
    expect(env.peek()).toEqual(t('env'))
    expect(await composed.lock!(async () => 42)).toBe(42)
    expect(file.calls).toContain('lock')
    expect(composed.name).toBe('env → file')
  })

  it('passes over an unavailable store, for loading and for saving', async () => {
    const keychain = store('keychain', null, { fail: TOKEN_STORE_UNAVAILABLE })
    const file = store('file', t('file'))
    const composed = composeStores(keychain, file)
    expect(await composed.load()).toEqual(t('file'))
    await composed.save(t('saved'))
    expect(file.peek()).toEqual(t('saved'))
  })

  it('never skips a corrupt store', async () => {
    const corrupt = store('file', null, { fail: TOKEN_STORE_CORRUPT })
    await expect(composeStores(corrupt, store('b', t('b'))).load()).rejects.toMatchObject({ code: TOKEN_STORE_CORRUPT })
  })

  it('reports unavailability when no store can be reached', async () => {
    const a = store('a', null, { fail: TOKEN_STORE_UNAVAILABLE })
    await expect(composeStores(a).load()).rejects.toMatchObject({ code: TOKEN_STORE_UNAVAILABLE })
    await expect(composeStores(a).save(t('x'))).rejects.toMatchObject({ code: TOKEN_STORE_UNAVAILABLE })
  })

  it('clears every store', async () => {
    const a = store('a', t('a'))
    const b = store('b', t('b'))
    await composeStores(a, b).clear()
    expect([a.peek(), b.peek()]).toEqual([null, null])
  })
})

describe('createMutex', () => {
  it('runs holders one at a time, in order, past failures', async () => {
    const { createMutex } = await import('../src/index.js')
    const exclusive = createMutex()
    const events: string[] = []
    const work = (name: string, fail = false) =>
      exclusive(async () => {
        events.push(`${name} start`)
        await new Promise((resolve) => setTimeout(resolve, 5))
        events.push(`${name} end`)
        if (fail) throw new Error(name)
        return name
      })
    const results = await Promise.allSettled([work('a'), work('b', true), work('c')])
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end'])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
  })
})
