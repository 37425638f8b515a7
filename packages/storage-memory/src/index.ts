export { MemoryTokenStore } from './memory-store.js'
