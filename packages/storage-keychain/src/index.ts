export { KeychainTokenStore, type KeychainTokenStoreOptions } from './keychain-store.js'
