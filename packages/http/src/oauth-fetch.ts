import { DEFAULT_CLIENT_ID, DEFAULT_OAUTH_BETAS, ANTHROPIC_OAUTH_BETA } from '@oauth/core'
import { rejectPolicyRefusal } from './anthropic-policy.js'
import type { TokenManager } from './token-manager.js'

/** Options for {@link createOAuthFetch}. */
export interface OAuthFetchOptions {
  /** The underlying fetch. Default: the global one, looked up per request. */
  fetch?: typeof fetch
  /**
   * Add the Anthropic API's OAuth extras (the `anthropic-beta` list, `User-Agent`, `beta=true`),
   * and turn its policy refusals into {@link OAuthPolicyError}s.
   * Default: when the manager uses the Anthropic preset's client ID.
   */
  anthropic?: boolean
  /** Betas for the Anthropic extras; `oauth-2025-04-20` is always added. Default `DEFAULT_OAUTH_BETAS`. */
  betas?: readonly string[]
  /** `User-Agent` for the Anthropic extras. Default: the preset's. */
  userAgent?: string
}

/**
 * Merges beta lists into one `anthropic-beta` value: the existing header's entries first,
 * then the rest, without duplicates, always including `oauth-2025-04-20`.
 *
 * @example
 * ```ts
 * import { mergeBetas } from '@oauth/http'
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
 * Signs one API request in place: `Authorization: Bearer <accessToken>`, never `x-api-key`
 * (an environment or default header may carry one; an OAuth request never does), and for the
 * Anthropic API its OAuth extras (the merged `anthropic-beta` list and the `User-Agent`). The
 * one place that sets them, for {@link createOAuthFetch} and `AnthropicOAuth` alike.
 *
 * @example
 * ```ts
 * import { signRequest } from '@oauth/http'
 * const headers = new Headers({ 'x-api-key': 'sk-ant-api03-…', 'anthropic-beta': 'files-api-2025-04-14' })
 * signRequest(headers, 'sk-ant-oat01-…', { betas: [] })
 * headers.get('anthropic-beta') // 'files-api-2025-04-14,oauth-2025-04-20'
 * ```
 */
export function signRequest(headers: Headers, accessToken: string, anthropic?: AnthropicExtras): void {
  headers.delete('x-api-key')
  headers.set('authorization', `Bearer ${accessToken}`)
  if (!anthropic) return
  headers.set('anthropic-beta', mergeBetas(headers.get('anthropic-beta'), anthropic.betas))
  if (anthropic.userAgent) headers.set('user-agent', anthropic.userAgent)
}

/**
 * Where `createOAuthFetch` gets its tokens: a {@link TokenManager}, or anything of the same
 * shape, such as a worker's handle on a login kept in a Durable Object
 * (`TokenSession` in `@oauth/storage-durable-object`).
 */
export interface AccessTokenSource {
  /** The server's config, when known: the Anthropic preset's client ID turns the Anthropic headers on. */
  readonly oauthConfig?: { readonly clientId: string; readonly userAgent?: string }
  getAccessToken(): Promise<string>
  /** Replaces `failedAccessToken` (refused with a 401) once, or returns what already replaced it. */
  refresh(options: { failedAccessToken: string }): Promise<{ accessToken: string }>
}

/**
 * A `fetch` that signs every request with the manager's current access token
 * (`Authorization: Bearer …`, never `x-api-key`), and after a 401 refreshes that token
 * once and retries once. Use it with any SDK or client that accepts a custom `fetch`.
 * Request bodies are buffered so that the retry can send them again. With the Anthropic
 * preset, the API's policy refusals of subscription tokens reject with an `OAuthPolicyError`
 * (codes `OAUTH_POLICY_*`), never followed by a refresh or a retry.
 *
 * @example
 * ```ts
 * import { createOAuthFetch, TokenManager } from '@oauth/http'
 * const oauthFetch = createOAuthFetch(new TokenManager({ tokenStorage: store }))
 * const res = await oauthFetch('https://api.anthropic.com/v1/models')
 * ```
 */
export function createOAuthFetch(manager: AccessTokenSource, options: OAuthFetchOptions = {}): typeof fetch {
  const anthropic = options.anthropic ?? manager.oauthConfig?.clientId === DEFAULT_CLIENT_ID
  const extras: AnthropicExtras | undefined = anthropic ? { betas: options.betas ?? DEFAULT_OAUTH_BETAS, userAgent: options.userAgent ?? manager.oauthConfig?.userAgent } : undefined
  return async (input, init) => {
    const doFetch = options.fetch ?? globalThis.fetch
    const request = new Request(input, init)
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer()
    const url = new URL(request.url)
    if (anthropic) url.searchParams.set('beta', 'true')
    const send = (token: string) => {
      const headers = new Headers(request.headers)
      signRequest(headers, token, extras)
      // A Blob per send: undici detaches an ArrayBuffer body on the first send, so following a
      // same-origin 307/308 (which replays the body) failed with "detached ArrayBuffer"; a Blob
      // can be read again, by the redirect and by the retry after a 401.
      return doFetch(url, { method: request.method, headers, body: body && new Blob([body]), signal: request.signal, redirect: request.redirect })
    }
    // A policy refusal (a subscription token used outside Anthropic's apps) is thrown as an
    // OAuthPolicyError: the token is fine, so it is neither refreshed nor retried.
    const checked = (response: Response) => (anthropic ? rejectPolicyRefusal(response) : response)
    const token = await manager.getAccessToken()
    const first = await checked(await send(token))
    if (first.status !== 401) return first
    first.body?.cancel().catch(() => {}) // not awaited: some bodies settle a cancel only when drained
    // One forced refresh of exactly the token that failed, one retry; never a loop.
    const fresh = await manager.refresh({ failedAccessToken: token })
    return checked(await send(fresh.accessToken))
  }
}
