export { AnthropicOAuth, type AnthropicOAuthOptions } from './anthropic-oauth.js'
export { authorizeInteractive, canOpenBrowser, type AuthorizeInteractiveOptions } from './interactive.js'
// One import serves: the lower layers' public names.
export * from '@oauth/core'
export * from '@oauth/http'
export { EnvTokenStore, loadTokensFromEnv, type Env } from '@oauth/storage-env'
export { defaultTokenPath, FileTokenStore, FileTokenStore as TokenStorage, type FileTokenStoreOptions, type SdkProfileOptions } from '@oauth/storage-file'
