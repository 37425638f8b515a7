export { AnthropicOAuth, type AnthropicOAuthOptions } from './anthropic-oauth.js'
export { authorizeInteractive, browserCommand, canOpenBrowser, type AuthorizeInteractiveOptions } from './interactive.js'
export { proxyFetch } from './proxy.js'
// One import serves: the lower layers' public names.
export * from '@oauth/core'
export * from '@oauth/http'
export * from '@oauth/anthropic'
// The plan's calls without a config, on the subscription preset (these names win over the stars above).
export { buildAuthorizationUrl, createOAuthFetch, exchangeCodeForTokens, refreshAccessToken, TokenManager, type TokenManagerOptions } from './preset-defaults.js'
export { EnvTokenStore, loadTokensFromEnv, type Env, type EnvTokenStoreOptions } from '@oauth/storage-env'
// `TokenStorage` is the Python plan's name for the file store; `TokenStore` is
// the contract every store implements, `TokenStorageError` what any of them throws.
export {
  Accounts,
  assertAccountName,
  DEFAULT_ACCOUNT,
  type Account,
  type AccountsOptions,
  type AccountStoreKind,
  type KeychainStoreFactory,
  defaultTokenPath,
  FileTokenStore,
  FileTokenStore as TokenStorage,
  SdkProfileTokenStore,
  type FileTokenStoreOptions,
  type SdkProfileTokenStoreOptions,
} from '@oauth/storage-file'
