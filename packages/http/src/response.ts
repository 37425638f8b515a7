// What an answer of the authorization server means: tokens, or one of our errors. The
// processing half of the send/process split (as oauth4webapi splits them).
import {
  OAUTH_INVALID_GRANT,
  OAUTH_INVALID_TOKEN_RESPONSE,
  OAUTH_RATE_LIMITED,
  OAUTH_SERVER_ERROR,
  OAUTH_DEVICE_AUTHORIZATION_ERROR,
  OAUTH_DISCOVERY_ERROR,
  OAUTH_TOKEN_ENDPOINT_ERROR,
  OAuthFlowError,
  sanitizeText,
  tokensFromResponse,
  type OAuthTokens,
} from '@oauth/core'
import { OAuthHttpError } from './errors.js'
import type { EndpointName } from './transport.js'

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
  // A refusal is the endpoint's own: discovery and the device grant have their codes.
  const refused = what === 'discovery document' ? OAUTH_DISCOVERY_ERROR : what === 'device authorization endpoint' ? OAUTH_DEVICE_AUTHORIZATION_ERROR : OAUTH_TOKEN_ENDPOINT_ERROR
  if (status >= 300 && status < 400) {
    return new OAuthHttpError(
      refused,
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
    refused,
    `The ${what} ${origin} refused the request (HTTP ${status}, ${said}). ${error === 'invalid_client' || status === 401 ? 'Check the client ID, the client secret or key, and `clientAuthMethod`.' : 'Check the client ID, redirect URI and URL.'}`,
    { status, error, description, retryable: false },
  )
}

/**
 * Reads a token endpoint's answer: the tokens of a 200 with a valid JSON body, else the typed
 * error it is (`OAUTH_INVALID_GRANT`, `OAUTH_RATE_LIMITED` with `retryAfterMs`, …), its text
 * cleaned of control characters and of the credentials just sent (`secrets`). For programs that
 * send token requests with a transport of their own; `exchangeCodeForTokens` and
 * `refreshAccessToken` use it too.
 *
 * @example
 * ```ts
 * import { processTokenResponse } from '@oauth/http'
 * const response = await fetch('https://id.example.com/token', { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, client_id: 'my-app' }) })
 * const tokens = await processTokenResponse(response, { secrets: [rt] })
 * ```
 */
export async function processTokenResponse(
  response: Response,
  options: { now?: number; secrets?: readonly (string | undefined)[]; origin?: string } = {},
): Promise<OAuthTokens> {
  const now = options.now ?? Date.now()
  const secrets = options.secrets ?? []
  const origin = options.origin ?? (URL.canParse(response.url) ? new URL(response.url).origin : '(of unknown URL)')
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
