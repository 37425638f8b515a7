import { describeTokenStoreConformance } from '@oauth/test-utils'
import { MemoryTokenStore } from '../src/index.js'

describeTokenStoreConformance('MemoryTokenStore', async () => ({ store: new MemoryTokenStore() }), { lock: true, shared: false })
