export { defaultTokenPath, FileTokenStore, type FileTokenStoreOptions } from './file-store.js'
export { activeSdkProfile, checkApiKeyProfile, saveApiKeyProfile, SdkProfileTokenStore, setActiveSdkProfile, type ApiKeyProfileOptions, type SdkProfileTokenStoreOptions } from './sdk-profile.js'
export { Accounts, assertAccountName, DEFAULT_ACCOUNT, type Account, type AccountsOptions, type AccountStoreKind, type KeychainStoreFactory } from './accounts.js'
export { describeServer, serverConfig, serverMismatch, type AccountPresets, type AccountServer, type AccountServerConfig } from './account-servers.js'
