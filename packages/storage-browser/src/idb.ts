// IndexedDB as promises, and the records this store keeps in it.

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
