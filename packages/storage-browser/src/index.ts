export { BrowserTokenStore, type BrowserTokenStoreOptions } from './browser-store.js'
