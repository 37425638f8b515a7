import type { TokenManager } from './token-manager.js'

/** Options for {@link createOAuthFetch}. */
export interface OAuthFetchOptions {
  /** The underlying fetch. Default: the global one, looked up per request. */
  fetch?: typeof fetch
  /**
   * Adjusts each request just before it is sent, after the bearer token is set (and again for the
   * retry after a 401): an API's extra headers or query parameters. `@oauth/anthropic`'s
   * `createAnthropicFetch` adds the Anthropic API's OAuth extras here.
   */
  prepare?: (url: URL, headers: Headers) => void
  /**
   * Looks at each answer before it is returned, and may throw instead: an API's refusals that are
   * not about the token (so never followed by a refresh). Its error rejects the fetch as it is.
   */
  check?: (response: Response) => Response | Promise<Response>
}

/**
 * Where `createOAuthFetch` gets its tokens: a {@link TokenManager}, or anything of the same
 * shape, such as a worker's handle on a login kept in a Durable Object
 * (`TokenSession` in `@oauth/storage-durable-object`).
 */
export interface AccessTokenSource {
  /** The server's config, when known (`@oauth/anthropic` reads its client and `User-Agent`). */
  readonly oauthConfig?: { readonly clientId: string; readonly userAgent?: string }
  getAccessToken(): Promise<string>
  /** Replaces `failedAccessToken` (refused with a 401) once, or returns what already replaced it. */
  refresh(options: { failedAccessToken: string }): Promise<{ accessToken: string }>
}

/**
 * A `fetch` that signs every request with the manager's current access token
 * (`Authorization: Bearer …`; an `x-api-key` header is removed: an OAuth request never carries
 * one), and after a 401 refreshes that token once and retries once. Use it with any SDK or client
 * that accepts a custom `fetch`. Request bodies are buffered so that the retry can send them
 * again. For the Anthropic API, `createAnthropicFetch` from `@oauth/anthropic` adds its OAuth
 * headers and policy errors.
 *
 * @example
 * ```ts
 * import { createOAuthFetch, TokenManager } from '@oauth/http'
 * import { MemoryTokenStore } from '@oauth/storage-memory'
 * const manager = new TokenManager({
 *   oauthConfig: { clientId: 'my-cli', authorizeUrl: 'https://id.example/authorize', tokenUrl: 'https://id.example/token', redirectUri: 'http://127.0.0.1:8765/callback' },
 *   tokenStorage: new MemoryTokenStore(),
 * })
 * const oauthFetch = createOAuthFetch(manager)
 * const res = await oauthFetch('https://api.example/v1/me')
 * ```
 */
export function createOAuthFetch(manager: AccessTokenSource, options: OAuthFetchOptions = {}): typeof fetch {
  const { prepare, check } = options
  return async (input, init) => {
    const doFetch = options.fetch ?? globalThis.fetch
    const request = new Request(input, init)
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer()
    const send = (token: string) => {
      const url = new URL(request.url)
      const headers = new Headers(request.headers)
      headers.delete('x-api-key')
      headers.set('authorization', `Bearer ${token}`)
      prepare?.(url, headers)
      // A Blob per send: undici detaches an ArrayBuffer body on the first send, so following a
      // same-origin 307/308 (which replays the body) failed with "detached ArrayBuffer"; a Blob
      // can be read again, by the redirect and by the retry after a 401.
      return doFetch(url, { method: request.method, headers, body: body && new Blob([body]), signal: request.signal, redirect: request.redirect })
    }
    const checked = (response: Response) => (check ? check(response) : response)
    const token = await manager.getAccessToken()
    const first = await checked(await send(token))
    if (first.status !== 401) return first
    first.body?.cancel().catch(() => {}) // not awaited: some bodies settle a cancel only when drained
    // One forced refresh of exactly the token that failed, one retry; never a loop.
    const fresh = await manager.refresh({ failedAccessToken: token })
    return checked(await send(fresh.accessToken))
  }
}
