export { defaultTokenPath, FileTokenStore, type FileTokenStoreOptions } from './file-store.js'
export { activeSdkProfile, checkApiKeyProfile, saveApiKeyProfile, SdkProfileTokenStore, setActiveSdkProfile, type ApiKeyProfileOptions, type SdkProfileTokenStoreOptions } from './sdk-profile.js'
export {
  Accounts,
  assertAccountName,
  DEFAULT_ACCOUNT,
  describeServer,
  serverConfig,
  serverMismatch,
  type Account,
  type AccountPresets,
  type AccountServer,
  type AccountServerConfig,
  type AccountsOptions,
  type AccountStoreKind,
  type KeychainStoreFactory,
} from './accounts.js'
