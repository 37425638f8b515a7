// The device authorization grant (RFC 8628), for a machine without a browser.
import {
  ERR_INVALID_ARG_TYPE,
  invalidArgument,
  OAUTH_AUTHORIZATION_DENIED,
  OAUTH_LOGIN_TIMEOUT,
  OAUTH_DEVICE_AUTHORIZATION_ERROR,
  OAUTH_UNSUPPORTED,
  OAuthFlowError,
  resolveConfig,
  sanitizeText,
  type OAuthConfig,
  type OAuthTokens,
} from '@oauth/core'
import { clientAuthentication, sentForms } from './client-auth.js'
import { OAuthHttpError } from './errors.js'
import { errorFromResponse } from './response.js'
import { tokenRequest } from './token-request.js'
import { endpoint, type TokenRequestOptions, transport, waitBetween } from './transport.js'

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
      OAUTH_DEVICE_AUTHORIZATION_ERROR,
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
    await waitBetween(Math.min(intervalMs, left), options.signal, c.tokenUrl, 'token endpoint')
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
