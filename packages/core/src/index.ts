export { sanitizeText } from './sanitize.js'
export { assertConfig, assertConfigFields, isLoopbackUrl, resolveConfig, type ClientAuthMethod, type OAuthConfig, type ResolvedOAuthConfig } from './config.js'
export { computeCodeChallenge, generatePkce, generateState, type PkcePair } from './pkce.js'
export {
  assertStateMatches,
  buildAuthorizationUrl,
  parseAuthCode,
  type AuthCode,
  type AuthorizationRequest,
  type OAuthState,
} from './authorize.js'
export {
  deserializeTokens,
  EXPIRY_BUFFER_SECONDS,
  expiryBufferMs,
  isExpired,
  parseStoredTokens,
  serializeTokens,
  toEpochMillis,
  tokensFromResponse,
  type AccountInfo,
  type WorkspaceInfo,
  type OAuthTokens,
  type OrganizationInfo,
} from './tokens.js'
export type { LockLease, StoreLockOptions, TokenStore, TokenStoreChange } from './token-store.js'
export { composeStores } from './compose.js'
export { createHoldings, createMutex, pollUntil, sleep, type AsyncContextLike, type Holdings, type Mutex, type MutexOptions, type MutexWait } from './mutex.js'
export { base64url, timingSafeEqual } from './encoding.js'
export * from './errors.js'
export { INSPECT, inspectSummary } from './inspect.js'
