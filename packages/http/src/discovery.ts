// Authorization server discovery (RFC 8414, then OpenID Connect Discovery).
import {
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  invalidArgument,
  isLoopbackUrl,
  OAUTH_INSECURE_ENDPOINT,
  OAUTH_DISCOVERY_ERROR,
  OAuthFlowError,
  resolveConfig,
  sanitizeText,
  type OAuthConfig,
} from '@oauth/core'
import { OAuthHttpError } from './errors.js'
import { errorFromResponse } from './response.js'
import { MAX_RESPONSE_BYTES, readCapped, requestSignal, setUserAgent, transportError, type TokenRequestOptions } from './transport.js'

/** Options for {@link discoverOAuthConfig}: the client's own settings, which no server metadata holds. */
export interface DiscoveryOptions
  extends Pick<TokenRequestOptions, 'fetch' | 'signal' | 'timeoutMs' | 'maxResponseBytes'>,
    Partial<Omit<OAuthConfig, 'authorizeUrl' | 'tokenUrl' | 'issuer' | 'revocationUrl' | 'deviceAuthorizationUrl'>> {
  clientId: string
}

/** Options for fetching a metadata document. */
export interface MetadataOptions extends Pick<TokenRequestOptions, 'fetch' | 'signal' | 'timeoutMs' | 'maxResponseBytes'> {
  userAgent?: string
}

/**
 * GETs one JSON metadata document (authorization server or protected resource metadata):
 * the object, or `null` when the server answers 404. Plain http only on loopback hosts;
 * redirects are not followed; the body is capped. Anything else is an `OAuthHttpError`.
 */
export async function fetchMetadata(url: string, options: MetadataOptions = {}): Promise<Record<string, unknown> | null> {
  const target = new URL(url)
  if (target.protocol !== 'https:' && !(target.protocol === 'http:' && isLoopbackUrl(target))) {
    throw new OAuthHttpError(OAUTH_INSECURE_ENDPOINT, `Refusing to fetch metadata from ${sanitizeText(target.origin, 200)}: only https (or http on a loopback host) is accepted.`, { retryable: false })
  }
  const { fetch: doFetch = globalThis.fetch, signal, timeoutMs = 30_000, maxResponseBytes = MAX_RESPONSE_BYTES } = options
  let response: Response
  let text: string
  try {
    const headers = new Headers({ accept: 'application/json' })
    setUserAgent(headers, options.userAgent)
    response = await doFetch(url, { headers, redirect: 'manual', signal: requestSignal(timeoutMs, signal) })
    text = await readCapped(response, maxResponseBytes)
  } catch (err) {
    if (err instanceof OAuthHttpError || err instanceof OAuthFlowError) throw err
    throw transportError(err, url, signal, 'discovery document')
  }
  if (response.status === 404) return null
  if (response.status !== 200) throw errorFromResponse(response, text, target.origin, Date.now(), [], 'discovery document')
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>
  } catch {
    // reported below
  }
  throw new OAuthHttpError(OAUTH_DISCOVERY_ERROR, `The metadata document ${url} is not a JSON object.`, { status: 200, retryable: false })
}

/**
 * Finds an authorization server's metadata from its issuer identifier, in the order the MCP
 * authorization spec (2025-11-25) gives: for an issuer with a path, RFC 8414's
 * `/.well-known/oauth-authorization-server/<path>`, then OpenID Connect with the path inserted
 * (`/.well-known/openid-configuration/<path>`), then appended (`<path>/.well-known/openid-configuration`);
 * without a path, the first and the last. The document must name the issuer asked for (RFC 8414
 * §3.3, a mix-up defence); `OAUTH_DISCOVERY_ERROR` when none is found or it names another.
 *
 * @example
 * ```ts
 * import { discoverAuthorizationServer } from '@oauth/http'
 * const { metadata } = await discoverAuthorizationServer('https://id.example.com/tenant1')
 * metadata.registration_endpoint // RFC 7591 dynamic registration, if the server has it
 * ```
 */
export async function discoverAuthorizationServer(issuer: string, options: MetadataOptions = {}): Promise<{ metadata: Record<string, unknown>; url: string }> {
  if (typeof issuer !== 'string' || !URL.canParse(issuer) || !/^https?:$/.test(new URL(issuer).protocol)) {
    throw invalidArgument(typeof issuer === 'string' ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE, 'Discovery needs the issuer as an absolute http(s) URL.')
  }
  const base = new URL(issuer)
  if (base.protocol === 'http:' && !isLoopbackUrl(base)) {
    throw new OAuthHttpError(OAUTH_INSECURE_ENDPOINT, `Refusing to discover ${base.origin} over plain http: only loopback hosts may use http. Use the https:// issuer.`, { retryable: false })
  }
  const path = base.pathname.replace(/\/$/, '')
  // RFC 8414 §3.1 inserts the well-known segment before the issuer's path; OpenID Connect
  // Discovery §4 appends it; MCP adds OIDC with the path inserted. Servers differ: all are tried.
  const candidates = [
    `${base.origin}/.well-known/oauth-authorization-server${path}`,
    ...(path ? [`${base.origin}/.well-known/openid-configuration${path}`] : []),
    `${base.origin}${path}/.well-known/openid-configuration`,
  ]
  for (const url of candidates) {
    const metadata = await fetchMetadata(url, options)
    if (!metadata) continue
    // RFC 8414 §3.3: a document that describes another issuer is refused (a mix-up attack).
    if (metadata.issuer !== issuer && metadata.issuer !== issuer.replace(/\/$/, '')) {
      throw new OAuthHttpError(
        OAUTH_DISCOVERY_ERROR,
        `The discovery document ${url} describes the issuer ${sanitizeText(String(metadata.issuer ?? 'none'), 200)}, not ${issuer} (RFC 8414 §3.3). Use the issuer exactly as the server names it.`,
        { status: 200, retryable: false },
      )
    }
    return { metadata, url }
  }
  throw new OAuthHttpError(OAUTH_DISCOVERY_ERROR, `${base.href} publishes no metadata (404 at ${candidates.join(', ')}). Check the issuer URL, or write the OAuthConfig by hand.`, {
    status: 404,
    retryable: false,
  })
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
  if (typeof options?.clientId !== 'string' || !options.clientId) throw invalidArgument(ERR_INVALID_ARG_TYPE, 'discoverOAuthConfig needs `clientId`: the server does not say which client you are.')
  const { fetch, signal, timeoutMs, maxResponseBytes, clientId, ...settings } = options
  const { metadata, url: tried } = await discoverAuthorizationServer(issuer, { fetch, signal, timeoutMs, maxResponseBytes, userAgent: settings.userAgent })
  const said = (name: string): string | undefined => {
    const value = metadata![name]
    return typeof value === 'string' && URL.canParse(value) ? value : undefined
  }
  const tokenUrl = said('token_endpoint')
  const authorizeUrl = said('authorization_endpoint')
  if (!tokenUrl || !authorizeUrl) {
    throw new OAuthHttpError(OAUTH_DISCOVERY_ERROR, `The discovery document ${tried} has no ${tokenUrl ? 'authorization_endpoint' : 'token_endpoint'}: this server cannot sign a user in with a code.`, {
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
