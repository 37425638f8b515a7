// IndexedDB as promises, the records this store keeps in it, and the Web Lock used where the browser has one.
import type { LockLease } from '@oauth/core'

/** The object stores: the tokens, and the leases of the lock where Web Locks is missing. */
export const TOKENS = 'tokens'
export const LEASES = 'leases'

/** A lease on the lock: which tab holds it, and until when. */
export interface Lease {
  owner: string
  expires: number
}

/** 128 random bits in hex: a tab's name as a lease owner. */
export function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Settles with the transaction: the writes are on disk (`strict`) when it resolves. */
export function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onabort = tx.onerror = () => reject(tx.error ?? new Error('the transaction was aborted'))
  })
}

/** Granted to one tab at a time; released by the browser when that tab closes or crashes. */
export async function webLock<T>(locks: LockManager, name: string, timeoutMs: number, fn: (lease: LockLease) => Promise<T>, timedOut: () => Error): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs)
  let granted = false
  // Nobody can take a Web Lock from its holder (this store never `steal`s), so the lease is never lost.
  const lease: LockLease = { signal: new AbortController().signal, confirm: async () => {} }
  try {
    return await locks.request(name, { signal }, () => {
      granted = true
      return fn(lease)
    })
  } catch (err) {
    if (!granted && signal.aborted) throw timedOut()
    throw err
  }
}
