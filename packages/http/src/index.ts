export { OAuthHttpError } from './errors.js'
export {
  DEFAULT_HTTP_USER_AGENT,
  exchangeCodeForTokens,
  readCapped,
  refreshAccessToken,
  retryAfter,
  type ExchangeOptions,
  type RetryPolicy,
  type TokenRequestOptions,
} from './token-endpoint.js'
export {
  authorizeDevice,
  discoverOAuthConfig,
  revokeToken,
  type DeviceAuthorizationOptions,
  type DeviceUserCode,
  type DiscoveryOptions,
  type RevokeOptions,
} from './server-endpoints.js'
export { TokenManager, type AccessTokenProvider, type TokenManagerOptions } from './token-manager.js'
export { createOAuthFetch, type AccessTokenSource, type OAuthFetchOptions } from './oauth-fetch.js'
