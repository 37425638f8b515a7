import { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, invalidArgument } from './errors.js'
import { INSPECT, inspectSummary } from './inspect.js'

/**
 * Where and how to run the authorization-code flow.
 *
 * Every call that talks to a server takes one; there is no default server. The optional
 * wire-format fields default to the standard (form-encoded token requests, no `state` in them,
 * no extra authorize parameters, no custom `User-Agent`). Anthropic's presets, which set them
 * their own way, are `ANTHROPIC_OAUTH_CONFIG` and `ANTHROPIC_CLI_OAUTH_CONFIG` in `@oauth/anthropic`.
 */
export interface OAuthConfig {
  clientId: string
  /** The authorization endpoint. */
  authorizeUrl: string
  /** The token endpoint. */
  tokenUrl: string
  /**
   * Further token endpoints, tried in order only when the one before answers 404 or cannot be
   * connected to (the request never reached a server that could spend the code or refresh
   * token); never after any other answer. The endpoint that answered is remembered for the
   * lifetime of the running program. Default none.
   */
  tokenUrlFallbacks?: readonly string[]
  redirectUri: string
  /**
   * Where the automatic login's loopback server takes the redirect, when `redirectUri` is a
   * page that shows a code to paste (the Anthropic preset: `http://localhost/callback`; the
   * port is picked at login). A loopback `redirectUri` needs none. Default none.
   */
  loopbackRedirectUri?: string
  /** Space-separated scopes; omitted from the request when empty. */
  scopes?: string
  /** `form` (RFC 6749 §4.1.3, the default) or `json` (the Anthropic endpoint). */
  tokenRequestFormat?: 'form' | 'json'
  /** Send `state` in the code-exchange body too (the Anthropic endpoint wants it). Default false. */
  includeStateInTokenRequest?: boolean
  /** Extra headers for token-endpoint requests (the Anthropic preset: `anthropic-beta`). Default none. */
  tokenRequestHeaders?: Readonly<Record<string, string>>
  /**
   * For refresh requests only, where the server wants them unlike the code exchange (the Console
   * login of Anthropic's CLI: a form-encoded exchange without a beta, a JSON refresh with one).
   * Default: `tokenRequestFormat` and `tokenRequestHeaders`.
   */
  refreshRequestFormat?: 'form' | 'json'
  refreshRequestHeaders?: Readonly<Record<string, string>>
  /** Extra query parameters for the authorization URL. */
  authorizeParams?: Readonly<Record<string, string>>
  /**
   * `User-Agent` for requests to the server's endpoints. Default outside browsers:
   * `@oauth/http/<version>`; a browser always sends its own.
   */
  userAgent?: string
  /**
   * The client secret of a confidential client (RFC 6749 §2.3.1). It is sent as the method in
   * {@link OAuthConfig.clientAuthMethod} says, and never appears in an error, in
   * `JSON.stringify` or `util.inspect` of a resolved config, or in a token file.
   */
  clientSecret?: string
  /**
   * How the client authenticates at the token, revocation and device endpoints. Default
   * `private_key_jwt` with a {@link OAuthConfig.clientPrivateKey}, else `client_secret_basic`
   * with a {@link OAuthConfig.clientSecret} (the method every server must support), else `none`
   * (a public client, such as a CLI).
   */
  clientAuthMethod?: ClientAuthMethod
  /**
   * For `private_key_jwt` (RFC 7523): the client's private key, as a `CryptoKey` or a private
   * JWK (`kty` RSA with `alg` RS256 or PS256 (default RS256), EC P-256, or OKP Ed25519; its
   * `kid` is sent). Kept out of errors, JSON and inspection as the secret is.
   */
  clientPrivateKey?: CryptoKey | JsonWebKey
  /** The server's issuer identifier (set by `discoverOAuthConfig`); the audience of `private_key_jwt` assertions. Default: the token URL's origin. */
  issuer?: string
  /** The revocation endpoint (RFC 7009), where logout revokes the refresh token. Default none: logout is local only. */
  revocationUrl?: string
  /** The device authorization endpoint (RFC 8628), for logins on machines without a browser. Default none. */
  deviceAuthorizationUrl?: string
  /**
   * The protected resource the tokens are for (RFC 8707 resource indicator; an MCP server's
   * canonical URL): sent as `resource` on the authorization request, the code exchange and every
   * refresh. An absolute URL without a fragment. Default none.
   */
  resource?: string
}

/** The ways a client can authenticate to the server (RFC 6749 §2.3, RFC 7523, OpenID Connect Core §9). */
export type ClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'

const AUTH_METHODS: readonly string[] = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt']

/**
 * Whether a URL's host is this machine: `localhost`, `[::1]` or any 127.0.0.0/8 address. The
 * one rule for both places that ask: the token endpoint (plain http is allowed only there) and
 * the automatic login's redirect (its loopback server listens there, RFC 8252 §7.3).
 */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)
}

/** An {@link OAuthConfig} with every optional field filled in. */
export type ResolvedOAuthConfig = Readonly<Required<Omit<OAuthConfig, OptionalField>> & Pick<OAuthConfig, OptionalField>>

type OptionalField = 'resource' | 'refreshRequestFormat' | 'refreshRequestHeaders' | 'userAgent' | 'loopbackRedirectUri' | 'clientSecret' | 'clientPrivateKey' | 'issuer' | 'revocationUrl' | 'deviceAuthorizationUrl'

type UrlField = 'authorizeUrl' | 'tokenUrl' | 'redirectUri'

/**
 * Checks the fields one step of the flow uses (a login start needs no token endpoint), naming
 * the bad one: `ERR_INVALID_ARG_TYPE` for a missing field or one of the wrong type,
 * `ERR_INVALID_ARG_VALUE` for an empty string or a URL that does not parse. Small on purpose:
 * a browser's login start carries it.
 */
export function assertConfigFields(config: OAuthConfig, keys: readonly ('clientId' | UrlField)[]): void {
  for (const key of keys) {
    const value = config?.[key]
    if (typeof value !== 'string' || !value || (key !== 'clientId' && !URL.canParse(value))) {
      throw invalidArgument(
        typeof value === 'string' ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE,
        `OAuth config \`${key}\` must be a non-empty ${key === 'clientId' ? 'string' : 'absolute URL'}.`,
      )
    }
  }
}

/**
 * Checks the fields every flow needs, at the public boundary. Throws a `TypeError` naming
 * the bad field: `ERR_INVALID_ARG_TYPE` for a field of the wrong type (or no config object),
 * `ERR_INVALID_ARG_VALUE` for an empty string or a URL that does not parse.
 */
export function assertConfig(config: OAuthConfig): void {
  if (typeof config !== 'object' || config === null) throw invalidArgument(ERR_INVALID_ARG_TYPE, "An OAuth config is required: there is no default server (Anthropic's is ANTHROPIC_OAUTH_CONFIG in @oauth/anthropic).")
  assertConfigFields(config, ['clientId', 'authorizeUrl', 'tokenUrl', 'redirectUri'])
  const fallbacks = config.tokenUrlFallbacks
  if (fallbacks !== undefined && (!Array.isArray(fallbacks) || !fallbacks.every((url) => typeof url === 'string' && URL.canParse(url)))) {
    throw invalidArgument(Array.isArray(fallbacks) ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE, 'OAuth config `tokenUrlFallbacks` must be a list of absolute URLs.')
  }
}

/**
 * Checks the client's authentication and the optional endpoints, where they are used (a login
 * start in a browser needs none of this, and does not carry it).
 */
function assertClient(config: OAuthConfig): void {
  for (const key of ['revocationUrl', 'deviceAuthorizationUrl', 'issuer', 'resource'] as const) {
    const value = config[key]
    if (value !== undefined && (typeof value !== 'string' || !URL.canParse(value) || (key === 'resource' && value.includes('#')))) {
      throw invalidArgument(typeof value === 'string' ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE, `OAuth config \`${key}\` must be an absolute URL${key === 'resource' ? ' without a fragment (RFC 8707 §2)' : ''}.`)
    }
  }
  // The automatic login listens where this says: refused here, not later as Node's ERR_INVALID_URL.
  const loopback = config.loopbackRedirectUri
  if (loopback !== undefined && (typeof loopback !== 'string' || !URL.canParse(loopback) || new URL(loopback).protocol !== 'http:' || !isLoopbackUrl(new URL(loopback)))) {
    throw invalidArgument(
      typeof loopback === 'string' ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE,
      'OAuth config `loopbackRedirectUri` must be an http:// URL on this machine (127.0.0.1, [::1] or localhost).',
    )
  }
  const method = config.clientAuthMethod
  if (method !== undefined && !AUTH_METHODS.includes(method)) {
    throw invalidArgument(ERR_INVALID_ARG_VALUE, `OAuth config \`clientAuthMethod\` must be one of ${AUTH_METHODS.join(', ')}.`)
  }
  if (config.clientSecret !== undefined && (typeof config.clientSecret !== 'string' || !config.clientSecret)) {
    throw invalidArgument(ERR_INVALID_ARG_TYPE, 'OAuth config `clientSecret` must be a non-empty string.')
  }
  if (method?.startsWith('client_secret') && !config.clientSecret) {
    throw invalidArgument(ERR_INVALID_ARG_VALUE, `OAuth config \`clientAuthMethod\` ${method} needs a \`clientSecret\`.`)
  }
  if (method === 'private_key_jwt' && (typeof config.clientPrivateKey !== 'object' || config.clientPrivateKey === null)) {
    throw invalidArgument(ERR_INVALID_ARG_VALUE, 'OAuth config `clientAuthMethod` private_key_jwt needs a `clientPrivateKey` (a CryptoKey or a private JWK).')
  }
}

/**
 * Fills in defaults and checks a config: standard RFC 6749 behaviour for every optional field.
 * A config it returned is returned as it is when passed again.
 *
 * @example
 * ```ts
 * import { resolveConfig } from '@oauth/core'
 * resolveConfig({ clientId: 'app', authorizeUrl: 'https://id.example/auth', tokenUrl: 'https://id.example/token', redirectUri: 'https://app.example/cb' })
 *   .tokenRequestFormat // 'form'
 * ```
 */
export function resolveConfig(config: OAuthConfig): ResolvedOAuthConfig {
  // Resolved once: the token manager resolves its config, and every refresh it sends passes
  // that result back through here.
  if (RESOLVED.has(config)) return config as ResolvedOAuthConfig
  assertConfig(config)
  assertClient(config)
  const resolved: ResolvedOAuthConfig = {
    clientId: config.clientId,
    authorizeUrl: config.authorizeUrl,
    tokenUrl: config.tokenUrl,
    tokenUrlFallbacks: config.tokenUrlFallbacks ?? [],
    redirectUri: config.redirectUri,
    loopbackRedirectUri: config.loopbackRedirectUri,
    scopes: config.scopes ?? '',
    // Checked where it is used (`@oauth/http`).
    tokenRequestFormat: config.tokenRequestFormat ?? 'form',
    includeStateInTokenRequest: config.includeStateInTokenRequest ?? false,
    tokenRequestHeaders: config.tokenRequestHeaders ?? {},
    refreshRequestFormat: config.refreshRequestFormat,
    refreshRequestHeaders: config.refreshRequestHeaders,
    authorizeParams: config.authorizeParams ?? {},
    userAgent: config.userAgent,
    clientAuthMethod: config.clientAuthMethod ?? (config.clientPrivateKey ? 'private_key_jwt' : config.clientSecret ? 'client_secret_basic' : 'none'),
    issuer: config.issuer,
    revocationUrl: config.revocationUrl,
    deviceAuthorizationUrl: config.deviceAuthorizationUrl,
    resource: config.resource,
  }
  // The secret and the key stay with the config (a copy made with spread keeps them), but
  // JSON.stringify and util.inspect of it show `[redacted]` in their place.
  const { clientSecret, clientPrivateKey } = config
  if (clientSecret || clientPrivateKey) Object.assign(resolved, { clientSecret, clientPrivateKey, toJSON: redacted, [INSPECT]: inspectSummary })
  RESOLVED.add(resolved)
  return resolved
}

/** A config as JSON, with its secret and key replaced (a resolved config's `toJSON`). */
function redacted(this: ResolvedOAuthConfig): Record<string, unknown> {
  const { clientSecret, clientPrivateKey, ...rest } = this
  return { ...rest, clientSecret: clientSecret && '[redacted]', clientPrivateKey: clientPrivateKey && '[redacted]' }
}

/** Configs this module resolved: passing one back returns it as it is. (Pure: a bundle that never resolves a config drops it.) */
const RESOLVED = /* @__PURE__ */ new WeakSet<object>()
