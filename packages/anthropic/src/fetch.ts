import { createOAuthFetch, type AccessTokenSource, type OAuthFetchOptions } from '@oauth/http'
import { rejectPolicyRefusal } from './policy.js'
import { ANTHROPIC_OAUTH_BETA, DEFAULT_OAUTH_BETAS } from './preset.js'

/**
 * Merges beta lists into one `anthropic-beta` value: the existing header's entries first,
 * then the rest, without duplicates, always including `oauth-2025-04-20`.
 *
 * @example
 * ```ts
 * import { mergeBetas } from '@oauth/anthropic'
 * mergeBetas('files-api-2025-04-14', ['oauth-2025-04-20']) // 'files-api-2025-04-14,oauth-2025-04-20'
 * ```
 */
export function mergeBetas(existing: string | null | undefined, betas: readonly string[]): string {
  const all = new Set<string>()
  for (const beta of [...(existing ?? '').split(','), ...betas, ANTHROPIC_OAUTH_BETA]) if (beta.trim()) all.add(beta.trim())
  return [...all].join(',')
}

/** The Anthropic API's OAuth extras for {@link signRequest}. */
export interface AnthropicExtras {
  /** `anthropic-beta` values merged into the request's own; `oauth-2025-04-20` is always added. */
  betas: readonly string[]
  /** `User-Agent`, when one is to be set. */
  userAgent?: string
}

/**
 * Signs one Anthropic API request in place: `Authorization: Bearer <accessToken>`, never
 * `x-api-key` (an environment or default header may carry one; an OAuth request never does),
 * the merged `anthropic-beta` list and the `User-Agent`. The one place that sets them, for
 * {@link createAnthropicFetch} and `AnthropicOAuth` alike.
 *
 * @example
 * ```ts
 * import { signRequest } from '@oauth/anthropic'
 * const headers = new Headers({ 'x-api-key': 'sk-ant-api03-…', 'anthropic-beta': 'files-api-2025-04-14' })
 * signRequest(headers, 'sk-ant-oat01-…', { betas: [] })
 * headers.get('anthropic-beta') // 'files-api-2025-04-14,oauth-2025-04-20'
 * ```
 */
export function signRequest(headers: Headers, accessToken: string, extras: AnthropicExtras): void {
  headers.delete('x-api-key')
  headers.set('authorization', `Bearer ${accessToken}`)
  addExtras(headers, extras)
}

function addExtras(headers: Headers, extras: AnthropicExtras): void {
  headers.set('anthropic-beta', mergeBetas(headers.get('anthropic-beta'), extras.betas))
  if (extras.userAgent) headers.set('user-agent', extras.userAgent)
}

/** Options for {@link createAnthropicFetch}: `createOAuthFetch`'s (its `prepare` runs after the Anthropic extras are set, its `check` after the policy check), and the extras. */
export interface AnthropicFetchOptions extends OAuthFetchOptions {
  /** Betas sent on every request; `oauth-2025-04-20` is always added. Default `DEFAULT_OAUTH_BETAS`. */
  betas?: readonly string[]
  /** `User-Agent` of every request. Default: the manager's config's (the preset's `DEFAULT_USER_AGENT`). */
  userAgent?: string
}

/**
 * `createOAuthFetch` for the Anthropic API: every request signed with the manager's access token
 * and the API's OAuth extras (the `anthropic-beta` list, the `User-Agent`, `beta=true`), one
 * refresh and one retry after a 401, and the API's policy refusals of subscription tokens
 * rejected as `OAuthPolicyError`s (codes `OAUTH_POLICY_*`), never followed by a refresh or a retry.
 *
 * @example
 * ```ts
 * import { ANTHROPIC_OAUTH_CONFIG, createAnthropicFetch } from '@oauth/anthropic'
 * import { TokenManager } from '@oauth/http'
 * import { MemoryTokenStore } from '@oauth/storage-memory'
 * const manager = new TokenManager({ oauthConfig: ANTHROPIC_OAUTH_CONFIG, tokenStorage: new MemoryTokenStore() })
 * const anthropicFetch = createAnthropicFetch(manager)
 * const res = await anthropicFetch('https://api.anthropic.com/v1/models')
 * ```
 */
export function createAnthropicFetch(manager: AccessTokenSource, options: AnthropicFetchOptions = {}): typeof fetch {
  const extras: AnthropicExtras = { betas: options.betas ?? DEFAULT_OAUTH_BETAS, userAgent: options.userAgent ?? manager.oauthConfig?.userAgent }
  const { prepare, check } = options
  return createOAuthFetch(manager, {
    fetch: options.fetch,
    prepare(url, headers) {
      url.searchParams.set('beta', 'true')
      addExtras(headers, extras)
      prepare?.(url, headers)
    },
    // A policy refusal (a subscription token used outside Anthropic's apps) is thrown as an
    // OAuthPolicyError: the token is fine, so it is neither refreshed nor retried.
    check: async (response) => {
      const passed = await rejectPolicyRefusal(response)
      return check ? check(passed) : passed
    },
  })
}
