export { defaultTokenPath, FileTokenStore, type FileTokenStoreOptions } from './file-store.js'
export { SdkProfileTokenStore, type SdkProfileTokenStoreOptions } from './sdk-profile.js'
