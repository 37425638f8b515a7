export {
  ANTHROPIC_OAUTH_CONFIG,
  DEFAULT_AUTHORIZE_URL,
  ANTHROPIC_CONSOLE_AUTHORIZE_URL,
  DEFAULT_CLIENT_ID,
  ANTHROPIC_LOOPBACK_REDIRECT_URI,
  DEFAULT_OAUTH_BETAS,
  DEFAULT_REDIRECT_URI,
  DEFAULT_SCOPES,
  DEFAULT_TOKEN_URL,
  ANTHROPIC_TOKEN_URL_FALLBACKS,
  DEFAULT_USER_AGENT,
  LEGACY_ANTHROPIC_OAUTH_CONFIG,
  ANTHROPIC_LONG_LIVED_EXPIRES_IN_SECONDS,
  ANTHROPIC_LONG_LIVED_SCOPES,
  ANTHROPIC_OAUTH_BETA,
} from './presets/anthropic.js'
export { sanitizeText } from './sanitize.js'
export { assertConfig, isLoopbackUrl, resolveConfig, type ClientAuthMethod, type OAuthConfig, type ResolvedOAuthConfig } from './config.js'
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
export { createMutex, pollUntil, sleep, type AsyncContextLike, type Mutex, type MutexOptions, type MutexWait } from './mutex.js'
export { base64url, timingSafeEqual } from './encoding.js'
export * from './errors.js'
export { INSPECT, inspectSummary } from './inspect.js'
