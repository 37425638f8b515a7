export { defaultTokenPath, FileTokenStore, type FileTokenStoreOptions, type SdkProfileOptions } from './file-store.js'
