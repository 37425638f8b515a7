export { MemoryTokenStore, type MemoryTokenStoreOptions } from './memory-store.js'
