// Runs inside workerd, in a Durable Object (see fixtures/worker.ts), bundled with the vitest shim:
// the storage conformance suite on the object's real storage.
import { describeTokenStoreConformance } from '@oauth/test-utils/store-conformance'
import { DurableObjectTokenStore, type DurableObjectStorageLike } from '../src/index.js'

let n = 0
const storage = () => (globalThis as { durableObjectStorage?: DurableObjectStorageLike }).durableObjectStorage!

describeTokenStoreConformance(
  'DurableObjectTokenStore in workerd',
  async () => {
    const key = `conformance-${n++}`
    const store = new DurableObjectTokenStore(storage(), { key })
    return {
      store,
      sibling: () => new DurableObjectTokenStore(storage(), { key }),
      corrupt: () => storage().put(key, '{"accessToken": "cut off'),
      cleanup: () => store.clear(),
    }
  },
  { lock: true, shared: true, corruptible: true },
)
