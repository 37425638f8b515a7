import {
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  invalidArgument,
  isLoopbackUrl,
  OAUTH_AUTHORIZATION_DENIED,
  OAUTH_INSECURE_ENDPOINT,
  OAUTH_LOGIN_TIMEOUT,
  OAUTH_TOKEN_ENDPOINT_ERROR,
  OAUTH_UNSUPPORTED,
  OAuthFlowError,
  resolveConfig,
  sanitizeText,
  sleep,
  type OAuthConfig,
  type OAuthTokens,
} from '@oauth/core'
import { clientAuthentication, sentForms } from './client-auth.js'
import { OAuthHttpError } from './errors.js'
import { endpoint, errorFromResponse, MAX_RESPONSE_BYTES, readCapped, setUserAgent, tokenRequest, transport, transportError, type TokenRequestOptions } from './token-endpoint.js'

/** Options for {@link revokeToken}. */
export interface RevokeOptions extends Pick<TokenRequestOptions, 'fetch' | 'signal' | 'timeoutMs' | 'maxResponseBytes' | 'now'> {
  /** What the token is (RFC 7009 §2.1), to save the server a lookup. */
  tokenTypeHint?: 'refresh_token' | 'access_token'
}

/**
 * Revokes a token at the server's revocation endpoint (RFC 7009): revoking a refresh token
 * ends the whole login there, so a copy of it left anywhere is useless. The client
 * authenticates as its config says. A server without a `revocationUrl` is `OAUTH_UNSUPPORTED`
 * (nothing sent); a refusal is an `OAuthHttpError`. It is sent once, never retried: the caller
 * decides what a failure means (a logout removes the local login anyway).
 *
 * @example
 * ```ts
 * import { discoverOAuthConfig, revokeToken } from '@oauth/http'
 * const config = await discoverOAuthConfig('https://id.example.com', { clientId: 'my-cli' })
 * await revokeToken(tokens.refreshToken!, config, { tokenTypeHint: 'refresh_token' })
 * ```
 */
export async function revokeToken(token: string, config: OAuthConfig, options: RevokeOptions = {}): Promise<void> {
  const c = resolveConfig(config)
  if (typeof token !== 'string' || token === '') {
    throw invalidArgument(typeof token === 'string' ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE, 'revokeToken needs the token as a non-empty string.')
  }
  if (!c.revocationUrl) {
    throw new OAuthFlowError(OAUTH_UNSUPPORTED, `The server of client ${c.clientId} has no revocation endpoint (\`revocationUrl\`): nothing was sent, and the token stays valid at the server until it expires.`)
  }
  const { as, insecure } = endpoint(c, c.revocationUrl, 'revocation_endpoint')
  const oauth = await import('oauth4webapi')
  const response = await oauth.revocationRequest(as, { client_id: c.clientId }, await clientAuthentication(oauth, c), token, {
    additionalParameters: options.tokenTypeHint ? { token_type_hint: options.tokenTypeHint } : {},
    [oauth.customFetch]: transport(c, options, 'revocation endpoint') as typeof fetch,
    [oauth.allowInsecureRequests]: insecure,
  })
  const text = await response.text()
  // RFC 7009 §2.2: 200 for a revoked token, and also for one the server no longer knows.
  if (response.status !== 200) throw errorFromResponse(response, text, new URL(c.revocationUrl).origin, (options.now ?? Date.now)(), sentForms(c, [token]), 'revocation endpoint')
}

/** What the user needs to approve a device login: where to go and the code to type there. */
export interface DeviceUserCode {
  /** The code to type (RFC 8628 §3.2 `user_code`). */
  userCode: string
  /** The page where the code is typed. */
  verificationUri: string
  /** The same page with the code filled in, when the server gives one (for a QR code, say). */
  verificationUriComplete: string | undefined
  /** When the code stops working, epoch milliseconds. */
  expiresAt: number
}

/** Options for {@link authorizeDevice}. */
export interface DeviceAuthorizationOptions extends TokenRequestOptions {
  /** Shows the code and the page to the user (it is called once, before polling starts). */
  onUserCode: (code: DeviceUserCode) => void | Promise<void>
  /** Space-separated scopes. Default: the config's. */
  scopes?: string
}

/**
 * Signs in on a machine with no browser and no way to paste anything back: the device
 * authorization grant (RFC 8628). The user opens a page on any other device and types the
 * code `onUserCode` shows; meanwhile this polls the token endpoint at the server's `interval`
 * (5 s when it gives none), 5 s slower after each `slow_down`, until the user approves.
 * A refusal is `OAUTH_AUTHORIZATION_DENIED`, a code that expired unapproved is
 * `OAUTH_LOGIN_TIMEOUT`, and a server without a `deviceAuthorizationUrl` is `OAUTH_UNSUPPORTED`.
 *
 * @example
 * ```ts
 * import { authorizeDevice, discoverOAuthConfig } from '@oauth/http'
 * const config = await discoverOAuthConfig('https://id.example.com', { clientId: 'my-cli' })
 * const tokens = await authorizeDevice(config, {
 *   onUserCode: ({ userCode, verificationUri }) => console.log(`Open ${verificationUri} and enter ${userCode}`),
 * })
 * ```
 */
export async function authorizeDevice(config: OAuthConfig, options: DeviceAuthorizationOptions): Promise<OAuthTokens> {
  const c = resolveConfig(config)
  if (typeof options?.onUserCode !== 'function') throw invalidArgument(ERR_INVALID_ARG_TYPE, 'authorizeDevice needs `onUserCode`, to show the user the code and the page.')
  if (!c.deviceAuthorizationUrl) {
    throw new OAuthFlowError(
      OAUTH_UNSUPPORTED,
      `The server of client ${c.clientId} has no device authorization endpoint (\`deviceAuthorizationUrl\`, RFC 8628): use the browser login (with the code pasted, over SSH).`,
    )
  }
  const now = options.now ?? Date.now
  const { as, insecure } = endpoint(c, c.deviceAuthorizationUrl, 'device_authorization_endpoint')
  const origin = new URL(c.deviceAuthorizationUrl).origin
  const oauth = await import('oauth4webapi')
  const scope = options.scopes ?? c.scopes
  const response = await oauth.deviceAuthorizationRequest(as, { client_id: c.clientId }, await clientAuthentication(oauth, c), scope ? { scope } : {}, {
    [oauth.customFetch]: transport(c, options, 'device authorization endpoint') as typeof fetch,
    [oauth.allowInsecureRequests]: insecure,
  })
  const text = await response.text()
  if (response.status !== 200) throw errorFromResponse(response, text, origin, now(), sentForms(c), 'device authorization endpoint')
  let json: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>
  } catch {
    // reported below, as a body without the fields
  }
  const deviceCode = json['device_code']
  const userCode = json['user_code']
  // Google's endpoint says `verification_url` (its documented deviation from RFC 8628).
  const page = json['verification_uri'] ?? json['verification_url']
  const complete = json['verification_uri_complete']
  // Absurd answers are bounded (RFC 8628 gives no limits): a code lives at most an hour here.
  const expiresIn = Math.min(Number(json['expires_in'] ?? 600), MAX_DEVICE_CODE_SECONDS)
  const isPage = (value: unknown): value is string => typeof value === 'string' && URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)
  if (typeof deviceCode !== 'string' || !deviceCode || typeof userCode !== 'string' || !userCode || !isPage(page) || !(expiresIn > 0)) {
    throw new OAuthHttpError(
      OAUTH_TOKEN_ENDPOINT_ERROR,
      `The device authorization endpoint ${origin} answered 200 without a device_code, a user_code and an http(s) verification_uri (RFC 8628 §3.2). Check the URL.`,
      { status: 200, retryable: false },
    )
  }
  const expiresAt = now() + expiresIn * 1000
  // Shown on a terminal: the server's text is made safe first.
  await options.onUserCode({
    userCode: sanitizeText(userCode, 64),
    verificationUri: new URL(page).href,
    verificationUriComplete: isPage(complete) ? new URL(complete).href : undefined,
    expiresAt,
  })
  // 1 s to 1 min between polls (an interval past setTimeout's range would fire at once, a hot
  // loop), and never a wait past the code's expiry.
  const interval = Number(json['interval'] ?? 5)
  let intervalMs = Math.min(Math.max(1, interval > 0 ? interval : 5), MAX_POLL_SECONDS) * 1000
  for (;;) {
    const left = expiresAt - now()
    if (left <= 0) break
    await sleep(Math.min(intervalMs, left), options.signal)
    if (now() >= expiresAt) break
    try {
      return await tokenRequest(c, options, [deviceCode], (o, server, client, auth, opts) => o.deviceCodeGrantRequest(server, client, auth, deviceCode, opts))
    } catch (err) {
      if (!(err instanceof OAuthHttpError)) throw err
      if (err.error === 'authorization_pending') continue
      // RFC 8628 §3.5: every later poll waits 5 s longer.
      if (err.error === 'slow_down') {
        intervalMs = Math.min(intervalMs + 5000, MAX_POLL_SECONDS * 1000)
        continue
      }
      if (err.error === 'access_denied') throw new OAuthFlowError(OAUTH_AUTHORIZATION_DENIED, 'The device login was declined. Start it again to approve it.')
      if (err.error === 'expired_token') break
      throw err
    }
  }
  throw new OAuthFlowError(OAUTH_LOGIN_TIMEOUT, `Nobody approved the device login before its code expired (${Math.round(expiresIn / 60)} min). Start it again.`)
}

/** The longest a device code is polled for, whatever `expires_in` says. */
const MAX_DEVICE_CODE_SECONDS = 3600
/** The longest wait between two polls, whatever `interval` and `slow_down` say. */
const MAX_POLL_SECONDS = 60

/** Options for {@link discoverOAuthConfig}: the client's own settings, which no server metadata holds. */
export interface DiscoveryOptions
  extends Pick<TokenRequestOptions, 'fetch' | 'signal' | 'timeoutMs' | 'maxResponseBytes'>,
    Partial<Omit<OAuthConfig, 'authorizeUrl' | 'tokenUrl' | 'issuer' | 'revocationUrl' | 'deviceAuthorizationUrl'>> {
  clientId: string
}

/** The redirect a discovered config uses unless told otherwise: loopback, any port (RFC 8252 §7.3). */
const LOOPBACK_CALLBACK = 'http://127.0.0.1/callback'

/**
 * Builds an {@link OAuthConfig} from the server's own description of itself: RFC 8414
 * authorization-server metadata (`/.well-known/oauth-authorization-server`), or OpenID Connect
 * discovery (`/.well-known/openid-configuration`) where that is all the server has. It keeps the
 * revocation and device authorization endpoints when the server lists them, and checks that
 * the document describes the issuer asked for (RFC 8414 §3.3). The redirect URI defaults to
 * `http://127.0.0.1/callback` (a loopback redirect, any port, for CLIs).
 *
 * @example
 * ```ts
 * import { discoverOAuthConfig } from '@oauth/http'
 * const config = await discoverOAuthConfig('https://id.example.com', { clientId: 'my-cli', scopes: 'openid offline_access' })
 * config.revocationUrl // 'https://id.example.com/oauth/revoke', when the server has one
 * ```
 */
export async function discoverOAuthConfig(issuer: string, options: DiscoveryOptions): Promise<OAuthConfig> {
  if (typeof issuer !== 'string' || !URL.canParse(issuer) || !/^https?:$/.test(new URL(issuer).protocol)) {
    throw invalidArgument(typeof issuer === 'string' ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE, 'discoverOAuthConfig needs the issuer as an absolute http(s) URL.')
  }
  if (typeof options?.clientId !== 'string' || !options.clientId) throw invalidArgument(ERR_INVALID_ARG_TYPE, 'discoverOAuthConfig needs `clientId`: the server does not say which client you are.')
  const base = new URL(issuer)
  if (base.protocol === 'http:' && !isLoopbackUrl(base)) {
    throw new OAuthHttpError(OAUTH_INSECURE_ENDPOINT, `Refusing to discover ${base.origin} over plain http: only loopback hosts may use http. Use the https:// issuer.`, { retryable: false })
  }
  const path = base.pathname.replace(/\/$/, '')
  // RFC 8414 §3.1 inserts the well-known segment before the issuer's path; OpenID Connect
  // Discovery §4 appends it. Servers differ, so both are tried, in that order.
  const candidates = [`${base.origin}/.well-known/oauth-authorization-server${path}`, `${base.origin}${path}/.well-known/openid-configuration`]
  const {
    fetch: doFetch = globalThis.fetch,
    signal,
    timeoutMs = 30_000,
    maxResponseBytes = MAX_RESPONSE_BYTES,
    clientId,
    ...settings
  } = options
  let metadata: Record<string, unknown> | undefined
  let tried = ''
  for (const url of candidates) {
    const timeout = AbortSignal.timeout(timeoutMs)
    let response: Response
    let text: string
    try {
      const headers = new Headers({ accept: 'application/json' })
      setUserAgent(headers, settings.userAgent)
      response = await doFetch(url, { headers, redirect: 'manual', signal: signal ? AbortSignal.any([signal, timeout]) : timeout })
      text = await readCapped(response, maxResponseBytes)
    } catch (err) {
      if (err instanceof OAuthHttpError || err instanceof OAuthFlowError) throw err
      throw transportError(err, url, signal, 'discovery document')
    }
    tried = url
    if (response.status === 404) continue
    if (response.status !== 200) throw errorFromResponse(response, text, base.origin, Date.now(), [], 'discovery document')
    try {
      const parsed: unknown = JSON.parse(text)
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) metadata = parsed as Record<string, unknown>
    } catch {
      // reported below
    }
    if (!metadata) throw new OAuthHttpError(OAUTH_TOKEN_ENDPOINT_ERROR, `The discovery document ${url} is not a JSON object. Check the issuer URL.`, { status: 200, retryable: false })
    break
  }
  if (!metadata) {
    throw new OAuthHttpError(OAUTH_TOKEN_ENDPOINT_ERROR, `${base.href} publishes no metadata (404 at ${candidates.join(' and ')}). Check the issuer URL, or write the OAuthConfig by hand.`, {
      status: 404,
      retryable: false,
    })
  }
  const said = (name: string): string | undefined => {
    const value = metadata![name]
    return typeof value === 'string' && URL.canParse(value) ? value : undefined
  }
  // RFC 8414 §3.3: a document that describes another issuer is refused (a mix-up attack).
  if (metadata.issuer !== issuer && metadata.issuer !== issuer.replace(/\/$/, '')) {
    throw new OAuthHttpError(
      OAUTH_TOKEN_ENDPOINT_ERROR,
      `The discovery document ${tried} describes the issuer ${sanitizeText(String(metadata.issuer ?? 'none'), 200)}, not ${issuer} (RFC 8414 §3.3). Use the issuer exactly as the server names it.`,
      { status: 200, retryable: false },
    )
  }
  const tokenUrl = said('token_endpoint')
  const authorizeUrl = said('authorization_endpoint')
  if (!tokenUrl || !authorizeUrl) {
    throw new OAuthHttpError(OAUTH_TOKEN_ENDPOINT_ERROR, `The discovery document ${tried} has no ${tokenUrl ? 'authorization_endpoint' : 'token_endpoint'}: this server cannot sign a user in with a code.`, {
      status: 200,
      retryable: false,
    })
  }
  // The browser is sent to the authorization endpoint with the PKCE challenge and the state: as
  // with the token endpoint, plain http only on loopback, and never another scheme.
  const page = new URL(authorizeUrl)
  if (page.protocol !== 'https:' && !(page.protocol === 'http:' && isLoopbackUrl(page))) {
    throw new OAuthHttpError(OAUTH_INSECURE_ENDPOINT, `The discovery document ${tried} names the authorization endpoint ${sanitizeText(page.origin, 200)}: only https (or http on a loopback host) is accepted.`, { retryable: false })
  }
  const config: OAuthConfig = {
    redirectUri: LOOPBACK_CALLBACK,
    ...settings,
    clientId,
    issuer: metadata.issuer as string,
    authorizeUrl,
    tokenUrl,
  }
  const revocationUrl = said('revocation_endpoint')
  const deviceAuthorizationUrl = said('device_authorization_endpoint')
  if (revocationUrl) config.revocationUrl = revocationUrl
  if (deviceAuthorizationUrl) config.deviceAuthorizationUrl = deviceAuthorizationUrl
  // Checked now, with the secret or key given: a mistake is reported here, not at the first refresh.
  // The resolved config keeps the secret and key out of JSON.stringify and util.inspect.
  return resolveConfig(config)
}
