export { OAuthHttpError } from './errors.js'
export { exchangeCodeForTokens, refreshAccessToken, type ExchangeOptions, type RetryPolicy, type TokenRequestOptions } from './token-endpoint.js'
export { TokenManager, type AccessTokenProvider, type TokenManagerOptions } from './token-manager.js'
export { createOAuthFetch, mergeBetas, type OAuthFetchOptions } from './oauth-fetch.js'
