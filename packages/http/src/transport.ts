// The transport every request to the authorization server goes through: the endpoint's URL
// checked (https, or http on loopback), the wire format, the User-Agent, a timeout and the
// caller's signal, a cap on the answer's size, no redirects; and what a failure to send means.
import {
  ERR_INVALID_ARG_VALUE,
  invalidArgument,
  isLoopbackUrl,
  OAUTH_INSECURE_ENDPOINT,
  OAUTH_INVALID_TOKEN_RESPONSE,
  OAUTH_NETWORK_ERROR,
  OAUTH_RESPONSE_LOST,
  OAUTH_TIMEOUT,
  OAuthError,
  OAuthFlowError,
  type ResolvedOAuthConfig,
  sleep,
} from '@oauth/core'
import type * as oauth from 'oauth4webapi'
import { version } from '../package.json'
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
    const signal = requestSignal(options.timeoutMs ?? 30_000, options.signal)
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

/**
 * Waits `ms` between attempts or polls. The caller's abort during the wait is the same error as
 * during a request (`OAUTH_RESPONSE_LOST`, "aborted by the caller"): one meaning, never a raw `AbortError`.
 */
export async function waitBetween(ms: number, signal: AbortSignal | undefined, url: string, what: EndpointName): Promise<void> {
  try {
    await sleep(ms, signal)
  } catch (err) {
    throw transportError(err, url, signal, what)
  }
}

/**
 * The signal of one request: the caller's, if any, and a timeout of `timeoutMs`, whichever
 * ends first. A `TimeoutError` is the timeout's; an `AbortError` the caller's.
 *
 * @example
 * ```ts
 * import { requestSignal } from '@oauth/http'
 * const response = await fetch('https://api.example.com/me', { signal: requestSignal(15_000) })
 * ```
 */
export function requestSignal(timeoutMs: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs)
  return signal ? AbortSignal.any([signal, timeout]) : timeout
}
