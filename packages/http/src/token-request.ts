// One token request with its retries and fallback endpoints, for every grant.
import {
  OAUTH_NETWORK_ERROR,
  OAUTH_RATE_LIMITED,
  type OAuthTokens,
  type ResolvedOAuthConfig,
} from '@oauth/core'
import type * as oauth from 'oauth4webapi'
import { clientAuthentication, sentForms } from './client-auth.js'
import { OAuthHttpError } from './errors.js'
import { processTokenResponse } from './response.js'
import { endpoint, transport, waitBetween, type RetryPolicy, type TokenRequestOptions } from './transport.js'

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
export async function tokenRequest<T = OAuthTokens>(
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
  read: (response: Response, context: { origin: string; now: number; secrets: readonly string[] }) => Promise<T> = processTokenResponse as never,
): Promise<T> {
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
          return await read(response, { origin: new URL(url).origin, now: now(), secrets: hidden })
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
      await waitBetween(delay, options.signal, config.tokenUrl, 'token endpoint')
    }
  }
}
