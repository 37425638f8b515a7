export { OAuthHttpError } from './errors.js'
export { DEFAULT_HTTP_USER_AGENT, exchangeCodeForTokens, refreshAccessToken, type ExchangeOptions, type RetryPolicy, type TokenRequestOptions } from './token-endpoint.js'
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
export { createOAuthFetch, mergeBetas, signRequest, type AccessTokenSource, type AnthropicExtras, type OAuthFetchOptions } from './oauth-fetch.js'
export { anthropicPolicyError, rejectPolicyRefusal } from './anthropic-policy.js'
export {
  AnthropicApiKey,
  createAnthropicApiKey,
  fetchAnthropicProfile,
  fetchAnthropicUsage,
  type AnthropicApiOptions,
  type AnthropicProfile,
  type AnthropicUsage,
  type AnthropicUsageWindow,
} from './anthropic-account.js'
