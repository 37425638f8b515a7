// One MCP server's authorization, on @oauth/http's token lifecycle: the fetch an MCP transport
// sends through, which signs every request with a fresh token, refreshes once (under the
// store's lock) after a 401, logs in when nothing else helps, and steps up scopes on a 403.
import {
  buildAuthorizationUrl,
  ERR_INVALID_ARG_VALUE,
  INSPECT,
  inspectSummary,
  invalidArgument,
  OAUTH_INVALID_GRANT,
  OAUTH_NOT_LOGGED_IN,
  OAuthError,
  OAuthFlowError,
  parseAuthCode,
  sanitizeText,
  type ClientAuthMethod,
  type OAuthConfig,
  type OAuthTokens,
  type ResolvedOAuthConfig,
} from '@oauth/core'
import { exchangeCodeForTokens, exchangeToken, GRANT_CLIENT_CREDENTIALS, GRANT_JWT_BEARER, requestTokenGrant, TokenManager, type TokenManagerOptions } from '@oauth/http'
import { discoverMcpAuthorization, type McpAuthorization } from './discovery.js'
import { MCP_ISSUER_MISMATCH, MCP_LOGIN_REQUIRED } from './errors.js'
import { keyFor, memoryLogins, type McpLoginKey, type McpLogins } from './logins.js'
import { registeredClient, type McpClient } from './registration.js'
import { parseBearerChallenge, type BearerChallenge } from './www-authenticate.js'

/** An identity assertion from the user's enterprise identity provider, for cross-app access. */
export interface IdentityAssertion {
  /** The ID token the identity provider issued to this client (a secret). */
  idToken: string
  /** The identity provider's token endpoint, where the ID token is exchanged (RFC 8693) for an ID-JAG. */
  tokenEndpoint: string
  /** This client at the identity provider. */
  clientId: string
  clientSecret?: string
}

/** Options for {@link McpOAuth}. */
export interface McpOAuthOptions {
  /** The MCP server's URL (its streamable HTTP endpoint). */
  server: string | URL
  /** Where logins, registered clients and discovery results are kept. Default: memory (`memoryLogins()`). */
  logins?: McpLogins
  /** `client_name` in registrations and metadata documents. Default `@oauth/mcp client`. */
  clientName?: string
  /** This client's metadata document URL (an https URL it serves): its `client_id` where the authorization server supports client ID metadata documents. */
  clientMetadataUrl?: string
  /** A client registered beforehand at the authorization server: used instead of registering. */
  client?: McpClient
  /** The redirect URI of the login. Default `http://127.0.0.1/callback` (a loopback redirect, any port). */
  redirectUri?: string
  /**
   * The user at the authorization page: gets the authorization URL, returns where the browser was
   * sent back (the redirect URL), or `code#state`. The code is exchanged here, after the `iss`
   * check (RFC 9207).
   */
  authorize?: (authorizationUrl: string) => Promise<string>
  /** Or the whole interactive login for a config, such as `authorizeInteractive` from `@oauth/client` (loopback redirect, paste fallback). */
  login?: (config: OAuthConfig) => Promise<OAuthTokens>
  /** The client credentials grant (the MCP extension): this program acts as itself, with `client`'s secret or key. No user. */
  clientCredentials?: boolean
  /** Cross-app access (the MCP extension, SEP-990): the user's enterprise identity, exchanged for an ID-JAG, then the JWT bearer grant with `client`. No browser. */
  identityAssertion?: () => Promise<IdentityAssertion>
  /** Scopes to ask for instead of what the server says (its 401's `scope`, else its `scopes_supported`). */
  scopes?: string
  /** How many times one challenge (a 403 `insufficient_scope`) may send the user to log in again for more scopes. Default 1. */
  maxStepUps?: number
  /** The fetch every request goes through (the MCP server's, discovery, token requests). Default `globalThis.fetch`. */
  fetch?: typeof fetch
  /** The token manager's timing (`expiryBufferSeconds`, `minValiditySeconds`, `onWarning`, …). */
  manager?: Pick<TokenManagerOptions, 'expiryBufferSeconds' | 'minValiditySeconds' | 'onBackgroundRefreshError' | 'onWarning' | 'now'>
}

interface Session {
  auth: McpAuthorization
  login: McpLoginKey
  config: ResolvedOAuthConfig
  manager: TokenManager
  /** The scopes the next login asks for. */
  scope: string | undefined
}

const DEFAULT_REDIRECT = 'http://127.0.0.1/callback'

/**
 * An MCP server's authorization, for any MCP client. Give its `fetch` to the transport:
 * every request carries a token that is fresh before it expires (not only after a 401); a 401
 * refreshes the refused token once, under the store's lock, so processes sharing one login
 * never spend a rotated refresh token twice; `invalid_grant` re-reads the store before anyone
 * is asked to log in again; a 403 `insufficient_scope` logs in again for the union of scopes, once.
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js'
 * import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
 * import { authorizeInteractive } from '@oauth/client'
 * import { fileLogins, McpOAuth } from '@oauth/mcp'
 *
 * const server = 'https://mcp.example.com/mcp'
 * const auth = new McpOAuth({ server, logins: fileLogins('/home/me/.config/my-agent/mcp'), login: (config) => authorizeInteractive(config) })
 * const client = new Client({ name: 'my-agent', version: '1.0.0' })
 * await client.connect(new StreamableHTTPClientTransport(new URL(server), { fetch: auth.fetch }))
 * console.log(await client.listTools())
 * ```
 */
export class McpOAuth {
  readonly #options: McpOAuthOptions
  readonly #server: URL
  readonly #logins: McpLogins
  readonly #fetch: typeof fetch
  #session: Promise<Session> | undefined
  #loggingIn: Promise<string> | undefined
  /** Logins made (interactive or not), to bound them per request. */
  #loginCount = 0
  /** Step-ups spent per challenge (its WWW-Authenticate header). */
  readonly #stepUps = new Map<string, number>()

  constructor(options: McpOAuthOptions) {
    if (typeof options !== 'object' || options === null || !URL.canParse(String(options.server))) {
      throw invalidArgument(ERR_INVALID_ARG_VALUE, 'McpOAuth needs `server`: the MCP server URL.')
    }
    this.#options = options
    this.#server = new URL(options.server)
    this.#logins = options.logins ?? memoryLogins()
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
    this.fetch = this.fetch.bind(this)
  }

  /**
   * The fetch for the MCP transport (`new StreamableHTTPClientTransport(url, { fetch: auth.fetch })`):
   * it signs, refreshes, logs in and steps up as described above, and hands the transport the
   * final answer. Request bodies must be replayable (the SDK sends strings).
   */
  async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    let session = await this.#known()
    let token = session ? await this.#currentToken(session) : undefined
    let response = await this.#send(input, init, token)
    const loginsBefore = this.#loginCount
    for (let retry = 0; retry < 2; retry++) {
      const challenge = parseBearerChallenge(response.headers.get('www-authenticate'))
      if (response.status === 401) {
        // Refused after a login made for this very request: another login would not help.
        if (this.#loginCount > loginsBefore) break
        session = await this.#discover(challenge)
        token = token ? await this.#replace(session, token, challenge) : await this.#login(session, challenge.scope ?? session.scope)
      } else if (response.status === 403 && challenge.error === 'insufficient_scope' && session) {
        const header = response.headers.get('www-authenticate')!
        const spent = this.#stepUps.get(header) ?? 0
        if (spent >= (this.#options.maxStepUps ?? 1)) break
        this.#stepUps.set(header, spent + 1)
        session.scope = union(session.scope, challenge.scope)
        token = await this.#login(session, session.scope)
      } else {
        break
      }
      await response.body?.cancel().catch(() => undefined)
      response = await this.#send(input, init, token)
    }
    return response
  }

  /** A valid access token for the server, refreshed or logged in for as needed. */
  async getAccessToken(): Promise<string> {
    const session = (await this.#known()) ?? (await this.#discover({}))
    return (await this.#currentToken(session)) ?? this.#login(session, session.scope)
  }

  /** Logs out of this server (its login only; other servers' logins in the same store stay). */
  async logout(): Promise<void> {
    const session = await this.#known()
    await session?.manager.clear()
  }

  /** The token manager of this server's login, once the server is known. */
  async tokenManager(): Promise<TokenManager | undefined> {
    return (await this.#known())?.manager
  }

  toJSON(): Record<string, unknown> {
    return { mcpServer: this.#server.href }
  }

  readonly [INSPECT] = inspectSummary

  #send(input: string | URL | Request, init: RequestInit | undefined, token: string | undefined): Promise<Response> {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
    if (token) headers.set('authorization', `Bearer ${token}`)
    else headers.delete('authorization')
    return this.#fetch(input, { ...init, headers })
  }

  /** The session made earlier, or the one a previous run of this program recorded; `undefined` before the first 401. */
  async #known(): Promise<Session | undefined> {
    if (this.#session) return this.#session
    const recorded = (await this.#logins.read(await keyFor(this.#server.href, 'server'))) as McpAuthorization | undefined
    if (!recorded || typeof recorded.issuer !== 'string' || typeof recorded.metadata !== 'object') return undefined
    // A concurrent call may have started one meanwhile.
    this.#session ??= this.#start(recorded, undefined)
    return this.#session
  }

  /** Discovery, once per process (and once per server, across runs, through the logins' records). */
  async #discover(challenge: BearerChallenge): Promise<Session> {
    if (this.#session) {
      const session = await this.#session.catch(() => undefined)
      if (session) return session
    }
    this.#session = (async () => {
      const auth = await discoverMcpAuthorization(this.#server, { fetch: this.#fetch, resourceMetadataUrl: challenge.resourceMetadata })
      await this.#logins.write(await keyFor(this.#server.href, 'server'), auth)
      return this.#start(auth, challenge.scope)
    })()
    this.#session.catch(() => {
      this.#session = undefined // a failed discovery is tried again by the next request
    })
    return this.#session
  }

  async #start(auth: McpAuthorization, challenged: string | undefined): Promise<Session> {
    const o = this.#options
    const m = auth.metadata
    const client = await registeredClient(auth, this.#logins, {
      client: o.client,
      clientMetadataUrl: o.clientMetadataUrl,
      clientName: o.clientName ?? '@oauth/mcp client',
      redirectUri: o.redirectUri ?? DEFAULT_REDIRECT,
      fetch: this.#fetch,
      grantTypes: o.clientCredentials ? [GRANT_CLIENT_CREDENTIALS] : o.identityAssertion ? [GRANT_JWT_BEARER] : ['authorization_code', 'refresh_token'],
    })
    const tokenUrl = String(m.token_endpoint)
    const config: OAuthConfig = {
      clientId: client.clientId,
      ...(client.clientSecret ? { clientSecret: client.clientSecret } : {}),
      ...(client.clientPrivateKey ? { clientPrivateKey: client.clientPrivateKey } : {}),
      ...(client.clientAuthMethod ? { clientAuthMethod: client.clientAuthMethod as ClientAuthMethod } : {}),
      // A client-credentials-only server may have no authorization endpoint: nothing is sent there then.
      authorizeUrl: typeof m.authorization_endpoint === 'string' ? m.authorization_endpoint : tokenUrl,
      tokenUrl,
      redirectUri: o.redirectUri ?? DEFAULT_REDIRECT,
      ...(auth.resource ? { resource: auth.resource } : {}),
      // The audience of private_key_jwt assertions: only an issuer that was checked.
      ...(auth.issuerChecked ? { issuer: auth.issuer } : {}),
      ...(typeof m.revocation_endpoint === 'string' ? { revocationUrl: m.revocation_endpoint } : {}),
    }
    const login: McpLoginKey = { key: await keyFor(auth.issuer, auth.resource ?? this.#server.href), issuer: auth.issuer, resource: auth.resource ?? this.#server.href }
    const manager = new TokenManager({ ...o.manager, oauthConfig: config, tokenStorage: this.#logins.tokens(login), oauthRequestOptions: { fetch: this.#fetch } })
    return { auth, login, config: manager.oauthConfig, manager, scope: o.scopes ?? withOfflineAccess(challenged ?? scopesSupported(auth.resourceMetadata), m) }
  }

  /** The stored login's token, refreshed first when expiring; `undefined` when there is no login (yet). */
  async #currentToken(session: Session): Promise<string | undefined> {
    try {
      return await session.manager.getAccessToken()
    } catch (err) {
      if (err instanceof OAuthError && (err.code === OAUTH_NOT_LOGGED_IN || err.code === OAUTH_INVALID_GRANT)) return undefined
      throw err
    }
  }

  /** After a 401 for `failed`: one refresh under the lock (or what another process saved), else a new login. */
  async #replace(session: Session, failed: string, challenge: BearerChallenge): Promise<string> {
    try {
      return (await session.manager.refresh({ failedAccessToken: failed })).accessToken
    } catch (err) {
      if (!(err instanceof OAuthError && (err.code === OAUTH_NOT_LOGGED_IN || err.code === OAUTH_INVALID_GRANT))) throw err
      return this.#login(session, challenge.scope ?? session.scope)
    }
  }

  /** One login at a time, for however many requests need one; saved (under the store's lock) before it is used. */
  #login(session: Session, scope: string | undefined): Promise<string> {
    this.#loggingIn ??= (async () => {
      try {
        this.#loginCount++
        const tokens = await this.#acquire(session, scope)
        await session.manager.setTokens(tokens)
        return tokens.accessToken
      } finally {
        this.#loggingIn = undefined
      }
    })()
    return this.#loggingIn
  }

  async #acquire(session: Session, scope: string | undefined): Promise<OAuthTokens> {
    const o = this.#options
    const config: OAuthConfig = { ...session.config, scopes: scope ?? '' }
    // OpenID Connect Core §11: an OIDC server honours offline_access only with prompt=consent.
    const scopes = (scope ?? '').split(' ')
    if (scopes.includes('openid') && scopes.includes('offline_access')) config.authorizeParams = { ...config.authorizeParams, prompt: 'consent' }
    const request = { fetch: this.#fetch }
    if (o.identityAssertion) {
      const idp = await o.identityAssertion()
      const jag = await exchangeToken(
        {
          subject_token: idp.idToken,
          subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
          requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
          audience: session.auth.issuer,
          ...(session.auth.resource ? { resource: session.auth.resource } : {}),
        },
        { clientId: idp.clientId, ...(idp.clientSecret ? { clientSecret: idp.clientSecret } : {}), authorizeUrl: idp.tokenEndpoint, tokenUrl: idp.tokenEndpoint, redirectUri: config.redirectUri },
        request,
      )
      return requestTokenGrant(GRANT_JWT_BEARER, { assertion: jag.token }, config, request)
    }
    if (o.clientCredentials) return requestTokenGrant(GRANT_CLIENT_CREDENTIALS, {}, config, request)
    if (o.login) return o.login(config)
    if (!o.authorize) {
      throw new OAuthFlowError(MCP_LOGIN_REQUIRED, `${this.#server.href} needs a login, and this program gave no way to run one (\`authorize\`, \`login\`, \`clientCredentials\` or \`identityAssertion\`).`)
    }
    const { url, oauthState } = await buildAuthorizationUrl(config)
    const answer = await o.authorize(url)
    checkIssuer(answer, session.auth)
    const { code, state } = parseAuthCode(answer)
    return exchangeCodeForTokens(code, state, oauthState, config, request)
  }
}

/** RFC 9207: an authorization response that names its issuer must name this one; one the server promised must name it. */
function checkIssuer(answer: string, auth: McpAuthorization): void {
  const text = answer.trim()
  const iss = URL.canParse(text) ? new URL(text).searchParams.get('iss') : null
  if (iss === null) {
    if (auth.metadata.authorization_response_iss_parameter_supported === true && URL.canParse(text)) {
      throw new OAuthFlowError(MCP_ISSUER_MISMATCH, `The authorization response has no \`iss\`, which ${auth.issuer} promises (RFC 9207): the code was not sent anywhere.`)
    }
    return
  }
  if (iss !== auth.issuer) {
    throw new OAuthFlowError(MCP_ISSUER_MISMATCH, `The authorization response comes from ${sanitizeText(iss, 200)}, not ${auth.issuer} (RFC 9207, a mix-up): the code was not sent anywhere.`)
  }
}

function scopesSupported(resourceMetadata: Record<string, unknown> | undefined): string | undefined {
  const list = resourceMetadata?.scopes_supported
  return Array.isArray(list) && list.length && list.every((s) => typeof s === 'string') ? list.join(' ') : undefined
}

/** `offline_access` added where the authorization server lists it (SEP-2207): the login then gets a refresh token. */
function withOfflineAccess(scope: string | undefined, metadata: Record<string, unknown>): string | undefined {
  const supported = metadata.scopes_supported
  if (!scope || !Array.isArray(supported) || !supported.includes('offline_access')) return scope
  return union(scope, 'offline_access')
}

function union(a: string | undefined, b: string | undefined): string | undefined {
  const all = new Set([...(a ?? '').split(' '), ...(b ?? '').split(' ')].filter(Boolean))
  return all.size ? [...all].join(' ') : undefined
}
