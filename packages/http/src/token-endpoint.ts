import {
  assertStateMatches,
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  invalidArgument,
  isLoopbackUrl,
  OAUTH_INSECURE_ENDPOINT,
  OAUTH_INVALID_GRANT,
  OAUTH_INVALID_TOKEN_RESPONSE,
  OAUTH_NETWORK_ERROR,
  OAUTH_RATE_LIMITED,
  OAUTH_RESPONSE_LOST,
  OAUTH_SERVER_ERROR,
  OAUTH_TIMEOUT,
  OAUTH_TOKEN_ENDPOINT_ERROR,
  OAuthError,
  OAuthFlowError,
  resolveConfig,
  sanitizeText,
  sleep,
  tokensFromResponse,
  type OAuthConfig,
  type OAuthState,
  type OAuthTokens,
  type ResolvedOAuthConfig,
} from '@oauth/core'
import type * as oauth from 'oauth4webapi'
import { version } from '../package.json'
import { clientAuthentication, sentForms } from './client-auth.js'
import { OAuthHttpError } from './errors.js'

/** How failed token requests are retried. */
export interface RetryPolicy {
  /** Further attempts after the first. Default 3. */
  retries?: number
  /** First backoff step; each later one doubles, with full jitter. Default 500 ms. */
  baseDelayMs?: number
  /** No wait is longer than this; a `Retry-After` beyond it is not waited for. Default 30 s. */
  maxDelayMs?: number
  /**
   * Whether a 429 is waited out and sent again. Default true. The token manager turns it off:
   * it records the server's `Retry-After` as a cooldown shared through the store, instead of
   * holding the store's lock while it waits.
   */
  rateLimited?: boolean
}

/** Options for {@link exchangeCodeForTokens} and {@link refreshAccessToken}. */
export interface TokenRequestOptions {
  /** The `fetch` to use. Default: the global one, looked up at call time. */
  fetch?: typeof fetch
  /** Aborts the request, and any wait between attempts. */
  signal?: AbortSignal
  /** Per attempt. Default 30 s. */
  timeoutMs?: number
  /** `false` never retries. */
  retry?: RetryPolicy | false
  /** Larger token responses are refused. Default 1 MiB. */
  maxResponseBytes?: number
  /** The clock, for `expiresAt`. Default `Date.now`. */
  now?: () => number
}

/** Options for {@link exchangeCodeForTokens}. */
export interface ExchangeOptions extends TokenRequestOptions {
  /**
   * Ask for this access-token lifetime, in seconds (`expires_in` in the request). The
   * Anthropic preset's long-lived login asks for one year (`ANTHROPIC_LONG_LIVED_EXPIRES_IN_SECONDS`).
   */
  expiresIn?: number
}

/** The default cap on an answer's body (`maxResponseBytes`): no OAuth response is near it. */
export const MAX_RESPONSE_BYTES = 1024 * 1024

/**
 * Node's fetch (undici) reports failures to connect with these codes: the request was
 * never sent, so sending it again cannot spend a code or a refresh token twice.
 */
// `UND_ERR_PRX_CONN`: a proxy closed the connection while the CONNECT tunnel was being opened
// (undici 8, and @oauth/client's proxy fetch on undici 7): nothing reached the server.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_PRX_CONN'])

/**
 * The `User-Agent` sent outside browsers when the config names none: ours, not oauth4webapi's.
 * (A browser sends its own and refuses to let a page change it.)
 */
export const DEFAULT_HTTP_USER_AGENT = `@oauth/http/${version}`

/** Which of the server's endpoints a request goes to, for messages. */
export type EndpointName = 'token endpoint' | 'revocation endpoint' | 'device authorization endpoint' | 'discovery document'

/**
 * An endpoint as oauth4webapi wants it, refusing plain http:// except on loopback. `field` is
 * where the URL is in the server's description: the token endpoint, or another one.
 */
export function endpoint(
  config: ResolvedOAuthConfig,
  endpointUrl: string,
  field: 'token_endpoint' | 'revocation_endpoint' | 'device_authorization_endpoint' = 'token_endpoint',
): { as: oauth.AuthorizationServer; insecure: boolean } {
  const url = new URL(endpointUrl)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidArgument(ERR_INVALID_ARG_VALUE, `The ${field.replace(/_/g, ' ')} URL must use https:, not ${url.protocol}`)
  }
  const insecure = url.protocol === 'http:'
  if (insecure && !isLoopbackUrl(url)) {
    throw new OAuthHttpError(
      OAUTH_INSECURE_ENDPOINT,
      `Refusing to send credentials to ${url.origin} over plain http: only loopback hosts (127.0.0.1, localhost, [::1]) may use http. Use an https:// token URL.`,
      { retryable: false },
    )
  }
  if (![config.tokenRequestFormat, config.refreshRequestFormat ?? 'form'].every((f) => f === 'form' || f === 'json')) {
    throw invalidArgument(ERR_INVALID_ARG_VALUE, "OAuth config `tokenRequestFormat` and `refreshRequestFormat` must be 'form' or 'json'.")
  }
  // The issuer is the audience of a private_key_jwt assertion.
  return { as: { issuer: config.issuer ?? url.origin, [field]: url.href }, insecure }
}

/** Where oauth4webapi would put its own `User-Agent`: anywhere but a browser. */
const IN_BROWSER = typeof navigator !== 'undefined' && Boolean(navigator.userAgent?.startsWith?.('Mozilla/5.0 '))

/** The configured `User-Agent`, else ours outside browsers (a browser sends its own). */
export function setUserAgent(headers: Headers, configured: string | undefined): void {
  if (configured) headers.set('user-agent', configured)
  else if (!IN_BROWSER) headers.set('user-agent', DEFAULT_HTTP_USER_AGENT)
}

/**
 * The fetch oauth4webapi calls: it applies the configured wire format and our limits
 * (timeout, response size), and turns every failure into an OAuthHttpError.
 */
export function transport(config: ResolvedOAuthConfig, options: TokenRequestOptions, what: EndpointName = 'token endpoint') {
  return async (url: string, init: RequestInit & { body?: URLSearchParams }): Promise<Response> => {
    const headers = new Headers(init.headers)
    let body: string = init.body!.toString()
    // A refresh may be sent unlike the code exchange (`refreshRequestFormat`, `refreshRequestHeaders`).
    const refresh = init.body!.get('grant_type') === 'refresh_token'
    const format = (refresh && config.refreshRequestFormat) || config.tokenRequestFormat
    if (format === 'json' && what === 'token endpoint') {
      // The Anthropic endpoint takes the same parameters as a JSON object.
      headers.set('content-type', 'application/json')
      const params: Record<string, string | number> = Object.fromEntries(init.body!)
      // A lifetime is a number in JSON, as every token response has it (`expires_in`).
      if (params.expires_in !== undefined) params.expires_in = Number(params.expires_in)
      body = JSON.stringify(params)
    }
    for (const [name, value] of Object.entries((refresh && config.refreshRequestHeaders) || config.tokenRequestHeaders)) headers.set(name, value)
    setUserAgent(headers, config.userAgent)
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000)
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
    const doFetch = options.fetch ?? globalThis.fetch
    let response: Response
    try {
      // redirect: 'manual' (set by oauth4webapi too): a token endpoint that redirects is an error, not followed.
      response = await doFetch(url, { method: 'POST', headers, body, redirect: 'manual', signal })
    } catch (err) {
      throw transportError(err, url, options.signal, what)
    }
    try {
      const text = await readCapped(response, options.maxResponseBytes ?? MAX_RESPONSE_BYTES)
      return new Response(text, { status: response.status, headers: response.headers })
    } catch (err) {
      if (err instanceof OAuthError) throw err
      throw transportError(err, url, options.signal, what)
    }
  }
}

/**
 * TLS failures while connecting (Node's codes): the handshake failed, so nothing was sent.
 * The usual cause behind a corporate proxy is a private CA that Node does not trust.
 */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
])

export function transportError(err: unknown, url: string, userSignal: AbortSignal | undefined, what: EndpointName = 'token endpoint'): OAuthHttpError {
  const origin = new URL(url).origin
  if (userSignal?.aborted) {
    return new OAuthHttpError(OAUTH_RESPONSE_LOST, `The request to the ${what} ${origin} was aborted by the caller.`, { retryable: false, cause: err })
  }
  const name = (err as Error)?.name
  if (name === 'TimeoutError') {
    return new OAuthHttpError(
      OAUTH_TIMEOUT,
      `The ${what} ${origin} did not answer in time. The request may have been processed, so it is not re-sent automatically (a reused code or refresh token can revoke the login).`,
      { retryable: false, cause: err },
    )
  }
  const code = (err as { cause?: { code?: string } })?.cause?.code
  // A proxy that answered the CONNECT with an error (403, 407, 502: the host is not allowed or
  // cannot be reached from there): no tunnel, so nothing reached the server.
  // undici says so in an error a cause or two down the chain.
  let proxyStatus: string | undefined
  for (let e = err as { cause?: unknown; message?: unknown } | undefined, depth = 0; e && depth < 4 && !proxyStatus; e = e.cause as typeof e, depth++) {
    proxyStatus = /Proxy response \((\d{3})\) !== 200/.exec(String(e.message))?.[1]
  }
  if (proxyStatus) {
    return new OAuthHttpError(OAUTH_NETWORK_ERROR, `The proxy refused to open a tunnel to the ${what} ${origin} (HTTP ${proxyStatus}). Check HTTPS_PROXY and NO_PROXY, and that the proxy allows this host. Nothing was sent.`, {
      retryable: Number(proxyStatus) >= 500,
      cause: err,
    })
  }
  if (code && UNTRUSTED.has(code)) {
    return new OAuthHttpError(
      OAUTH_NETWORK_ERROR,
      `Could not connect to the ${what} ${origin}: its TLS certificate is not trusted (${code}). Behind a proxy that inspects TLS, point NODE_EXTRA_CA_CERTS at your organisation's CA certificate (PEM) and start the program again. Nothing was sent.`,
      { retryable: false, cause: err },
    )
  }
  if (code && NOT_SENT.has(code)) {
    return new OAuthHttpError(OAUTH_NETWORK_ERROR, `Could not connect to the ${what} ${origin} (${code}). Check the network, the proxy settings (HTTPS_PROXY) and the URL.`, {
      retryable: true,
      cause: err,
    })
  }
  return new OAuthHttpError(
    OAUTH_RESPONSE_LOST,
    `The connection to the ${what} ${origin} failed${code ? ` (${code})` : ''} after the request may have been sent. It is not re-sent automatically: a reused code or refresh token can revoke the login.`,
    { retryable: false, cause: err },
  )
}

/** The body as text, refusing one larger than `limit` bytes (declared or streamed). */
export async function readCapped(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  // Cancelling is not awaited: some streams settle the cancel only when drained.
  if (declared > limit) {
    response.body?.cancel().catch(() => {})
    throw tooLarge(limit)
  }
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      reader.cancel().catch(() => {})
      throw tooLarge(limit)
    }
    chunks.push(value)
  }
  const all = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    all.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(all)
}

function tooLarge(limit: number): OAuthError {
  return new OAuthFlowError(OAUTH_INVALID_TOKEN_RESPONSE, `The server answered with more than ${limit} bytes; an OAuth response is never that large. Check the URL.`)
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfter(header: string | null, now: number): number | undefined {
  if (!header) return undefined
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * Reads a non-200 answer in either error shape, or none, into an OAuthHttpError. The server's
 * text has control characters stripped (it may reach a terminal), and the credentials just
 * sent (`secrets`) and anything token-shaped cut out: a server may echo the refresh token.
 */
export function errorFromResponse(response: Response, text: string, origin: string, now: number, secrets: readonly (string | undefined)[], what: EndpointName = 'token endpoint'): OAuthHttpError {
  const shorten = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? sanitizeText(value, 300, secrets) : undefined)
  const status = response.status
  let error: string | undefined
  let description: string | undefined
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    // An HTML error page from a proxy, or nothing: the status says what happened.
  }
  if (typeof json === 'object' && json !== null) {
    const e = (json as Record<string, unknown>).error
    if (typeof e === 'string') {
      // RFC 6749 §5.2: {"error": "invalid_grant", "error_description": "…"}
      error = shorten(e)
      description = shorten((json as Record<string, unknown>).error_description)
    } else if (typeof e === 'object' && e !== null) {
      // Anthropic's API shape: {"error": {"type": "rate_limit_error", "message": "…"}}
      error = shorten((e as Record<string, unknown>).type)
      description = shorten((e as Record<string, unknown>).message)
    }
  }
  const contentType = response.headers.get('content-type')?.split(';')[0] ?? 'no content type'
  const said = error ? `${error}${description ? `: ${description}` : ''}` : text.trim() === '' ? 'an empty body' : `a ${contentType} body without an OAuth error`
  const retryAfterMs = retryAfter(response.headers.get('retry-after'), now)
  if (status >= 300 && status < 400) {
    return new OAuthHttpError(
      OAUTH_TOKEN_ENDPOINT_ERROR,
      `The ${what} ${origin} answered with a redirect (HTTP ${status}); it must not redirect, so it was not followed. Check the URL.`,
      { status, retryable: false },
    )
  }
  if (error === 'invalid_grant') {
    return new OAuthHttpError(
      OAUTH_INVALID_GRANT,
      `The authorization server rejected the grant (HTTP ${status}, ${said}). The login has expired or was revoked: log in again.`,
      { status, error, description, retryable: false },
    )
  }
  if (status === 429 || error === 'rate_limit_error') {
    return new OAuthHttpError(
      OAUTH_RATE_LIMITED,
      `The ${what} ${origin} is rate limiting (HTTP ${status}, ${said}). The login is fine; try again ${retryAfterMs !== undefined ? `in ${Math.ceil(retryAfterMs / 1000)} s` : 'later'}.`,
      { status, error, description, retryable: true, retryAfterMs },
    )
  }
  if (status >= 500 || error === 'overloaded_error' || error === 'api_error' || error === 'temporarily_unavailable' || error === 'server_error') {
    return new OAuthHttpError(
      OAUTH_SERVER_ERROR,
      `The ${what} ${origin} failed (HTTP ${status}, ${said}). The login is fine; try again later.`,
      { status, error, description, retryable: true, retryAfterMs },
    )
  }
  return new OAuthHttpError(
    OAUTH_TOKEN_ENDPOINT_ERROR,
    `The ${what} ${origin} refused the request (HTTP ${status}, ${said}). ${error === 'invalid_client' || status === 401 ? 'Check the client ID, the client secret or key, and `clientAuthMethod`.' : 'Check the client ID, redirect URI and URL.'}`,
    { status, error, description, retryable: false },
  )
}

async function tokensFrom(response: Response, origin: string, now: number, secrets: readonly (string | undefined)[]): Promise<OAuthTokens> {
  const text = await response.text()
  if (response.status !== 200) throw errorFromResponse(response, text, origin, now, secrets)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    const type = response.headers.get('content-type')?.split(';')[0] ?? 'no content type'
    throw new OAuthFlowError(OAUTH_INVALID_TOKEN_RESPONSE, `The token endpoint ${origin} answered 200 with ${type} that is not JSON. Check the token URL.`)
  }
  return tokensFromResponse(json, now)
}

/**
 * Which endpoint of a fallback list answered last, per list, for the rest of the process:
 * once platform.claude.com has answered, later requests go there first.
 */
const answeredEndpoint = new Map<string, string>()

/** 404, or a request that never reached a server: the next endpoint in the list may be tried. */
function mayFallBack(err: unknown): boolean {
  return err instanceof OAuthHttpError && (err.status === 404 || err.code === OAUTH_NETWORK_ERROR)
}

/**
 * Sends one token request, retrying what is safe to retry: 429 and 5xx answers and
 * failures to connect. Never retried: `invalid_grant`, other 4xx, and anything that
 * may have reached the server without an answer (timeouts, resets) — re-sending a
 * spent code or rotated refresh token revokes the whole grant on rotating servers.
 * With fallback endpoints, the next one is tried only after a 404 or a failure to
 * connect, never after any other answer.
 */
export async function tokenRequest(
  config: ResolvedOAuthConfig,
  options: TokenRequestOptions,
  secrets: readonly string[],
  send: (
    oauth: typeof import('oauth4webapi'),
    as: oauth.AuthorizationServer,
    client: oauth.Client,
    auth: oauth.ClientAuth,
    opts: oauth.TokenEndpointRequestOptions,
  ) => Promise<Response>,
): Promise<OAuthTokens> {
  const urls = [config.tokenUrl, ...config.tokenUrlFallbacks]
  const endpoints = urls.map((url) => ({ url, ...endpoint(config, url) }))
  // Loaded on first use: importing @oauth/http (or the client) does not pay for it.
  const oauth = await import('oauth4webapi')
  const client: oauth.Client = { client_id: config.clientId }
  const auth = await clientAuthentication(oauth, config)
  // What the server may echo back and must never reach a message: what was sent, and the secret.
  const hidden = sentForms(config, secrets)
  const now = options.now ?? Date.now
  const policy: RetryPolicy = options.retry === false ? { retries: 0 } : (options.retry ?? {})
  const retries = policy.retries ?? 3
  const base = policy.baseDelayMs ?? 500
  const max = policy.maxDelayMs ?? 30_000
  const key = urls.join(' ')
  for (let attempt = 0; ; attempt++) {
    try {
      const first = Math.max(0, urls.indexOf(answeredEndpoint.get(key) ?? config.tokenUrl))
      for (let i = first; ; i++) {
        const { url, as, insecure } = endpoints[i]!
        try {
          const response = await send(oauth, as, client, auth, {
            [oauth.customFetch]: transport(config, options) as typeof fetch,
            [oauth.allowInsecureRequests]: insecure,
          })
          if (response.status !== 404) answeredEndpoint.set(key, url)
          return await tokensFrom(response, new URL(url).origin, now(), hidden)
        } catch (err) {
          // Nothing was spent at this endpoint: the next one may have the code or refresh token.
          if (!mayFallBack(err) || i === endpoints.length - 1) throw err
        }
      }
    } catch (err) {
      if (!(err instanceof OAuthHttpError) || !err.retryable || attempt >= retries) throw err
      if (err.code === OAUTH_RATE_LIMITED && policy.rateLimited === false) throw err
      const delay = err.retryAfterMs ?? Math.random() * Math.min(max, base * 2 ** attempt)
      if (delay > max) throw err
      await sleep(delay, options.signal)
    }
  }
}

/**
 * Exchanges an authorization code for tokens (RFC 6749 §4.1.3 with PKCE, RFC 7636).
 * The returned `state` is checked against `oauthState` before any request is made.
 * With the Anthropic preset the request is the JSON body that endpoint expects
 * (`code, state, grant_type, client_id, redirect_uri, code_verifier`); with any other
 * config it is a standard form-encoded request.
 *
 * @example
 * ```ts
 * import { buildAuthorizationUrl, parseAuthCode } from '@oauth/core'
 * import { exchangeCodeForTokens } from '@oauth/http'
 * const { url, oauthState } = await buildAuthorizationUrl(config)
 * console.log(`Open ${url}`)
 * const { code, state } = parseAuthCode(pastedByTheUser)
 * const tokens = await exchangeCodeForTokens(code, state, oauthState, config)
 * ```
 */
export async function exchangeCodeForTokens(
  code: string,
  state: string,
  oauthState: OAuthState,
  config: OAuthConfig,
  options: ExchangeOptions = {},
): Promise<OAuthTokens> {
  const c = resolveConfig(config)
  if (typeof code !== 'string' || code === '') {
    throw invalidArgument(typeof code === 'string' ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE, 'exchangeCodeForTokens needs the authorization code as a non-empty string.')
  }
  if (typeof oauthState?.codeVerifier !== 'string' || typeof oauthState.state !== 'string') {
    throw invalidArgument(ERR_INVALID_ARG_TYPE, 'exchangeCodeForTokens needs the oauthState ({ codeVerifier, state }) that buildAuthorizationUrl returned.')
  }
  // Before anything is sent: a code from another login must not be spent.
  assertStateMatches(oauthState, state)
  const additionalParameters: Record<string, string> = {}
  if (c.includeStateInTokenRequest) additionalParameters.state = state
  if (options.expiresIn !== undefined) {
    if (!Number.isSafeInteger(options.expiresIn) || options.expiresIn <= 0) {
      throw invalidArgument(ERR_INVALID_ARG_VALUE, 'exchangeCodeForTokens: `expiresIn` must be a positive whole number of seconds.')
    }
    additionalParameters.expires_in = String(options.expiresIn)
  }
  return tokenRequest(c, options, [code, oauthState.codeVerifier], (oauth, as, client, auth, opts) => {
    const callback = oauth.validateAuthResponse(as, client, new URLSearchParams({ code, state }), oauthState.state)
    // The redirect URI sent is the one the authorization used: the code is bound to it.
    return oauth.authorizationCodeGrantRequest(as, client, auth, callback, c.redirectUri, oauthState.codeVerifier, {
      ...opts,
      additionalParameters,
    })
  })
}

/**
 * Exchanges a refresh token for a new token set (RFC 6749 §6). When the server does not
 * rotate (no `refresh_token` in the answer), the old refresh token is kept.
 * Prefer `TokenManager`, which also coordinates concurrent refreshes and persistence.
 *
 * @example
 * ```ts
 * import { refreshAccessToken } from '@oauth/http'
 * const fresh = await refreshAccessToken(tokens.refreshToken!, config)
 * ```
 */
export async function refreshAccessToken(refreshToken: string, config: OAuthConfig, options: TokenRequestOptions = {}): Promise<OAuthTokens> {
  const c = resolveConfig(config)
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    throw invalidArgument(typeof refreshToken === 'string' ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE, 'refreshAccessToken needs the refresh token as a non-empty string.')
  }
  // No `scope`, on any server: the grant keeps its scopes, and Anthropic's endpoint answers a
  // refresh that sends one with `invalid_scope` (earendil-works/pi#2357, 2026-03).
  const tokens = await tokenRequest(c, options, [refreshToken], (oauth, as, client, auth, opts) => oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, opts))
  return tokens.refreshToken === undefined ? { ...tokens, refreshToken } : tokens
}
