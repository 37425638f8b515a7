// The Anthropic SDK's credentials hook, on a token manager.
import { expiryBufferMs, type OAuthTokens } from '@oauth/core'

/** The Anthropic SDK's credentials hook: `new Anthropic({ credentials })`. `expiresAt` is epoch seconds. */
export type AccessTokenProvider = (opts?: { forceRefresh?: boolean }) => Promise<{ token: string; expiresAt: number | null }>

/**
 * The Anthropic SDK's `TokenCache` asks its credentials provider again only once this little
 * validity is left (`ADVISORY_REFRESH_THRESHOLD_IN_SECONDS`, 120 s, in `@anthropic-ai/sdk`
 * 1.12 `lib/credentials/types`); before that it serves its cached token without asking.
 */
const SDK_ADVISORY_MS = 120_000

/** What the provider needs of a manager. */
interface TokenSource {
  getTokens(): Promise<OAuthTokens>
  refresh(options: { failedAccessToken?: string }): Promise<OAuthTokens>
}

/**
 * A provider that remembers the token it handed out, so the SDK's `forceRefresh` after a 401
 * replaces exactly that token, once. It reports an `expiresAt` moved earlier by the difference
 * between the manager's buffer and the SDK's 120 s, so the SDK asks exactly when the manager
 * counts the token as expiring.
 */
export function sdkProvider(source: TokenSource, bufferSeconds: number): AccessTokenProvider {
  let served: string | undefined
  return async (opts) => {
    const tokens = opts?.forceRefresh ? await source.refresh({ failedAccessToken: served }) : await source.getTokens()
    served = tokens.accessToken
    if (tokens.expiresAt === undefined) return { token: tokens.accessToken, expiresAt: null }
    const earlier = Math.max(0, expiryBufferMs(tokens, bufferSeconds) - SDK_ADVISORY_MS)
    return { token: tokens.accessToken, expiresAt: Math.floor((tokens.expiresAt - earlier) / 1000) }
  }
}
