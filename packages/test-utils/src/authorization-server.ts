// A real, certified OAuth 2.0 / OpenID Connect server for tests: oidc-provider on
// 127.0.0.1 with a public PKCE client, refresh-token rotation and short-lived access
// tokens. It punishes careless clients the way production servers do: reusing a
// rotated refresh token revokes the whole grant.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { OAuthConfig } from '@oauth/core'
import Provider, { errors } from 'oidc-provider'

export interface AuthorizationServerOptions {
  /** Access-token lifetime in seconds. Default 2. */
  accessTokenTtl?: number
  /** Rotate refresh tokens on every use. Default true. */
  rotateRefreshToken?: boolean
  /** The account that logs in. Default 'user-1'. */
  accountId?: string
  /**
   * Show real login and consent pages (forms with a button) instead of answering them
   * automatically, for tests that drive a browser. Default false.
   */
  pages?: boolean
  /** Extra clients, e.g. a browser app with its own redirect URI. */
  extraClients?: Record<string, unknown>[]
  /**
   * Resource servers (RFC 8707) this server issues access tokens for: a resource indicator this
   * accepts gets opaque tokens for that audience, with the scope `mcp:tools`, which a resource
   * server checks at the introspection endpoint as the confidential client
   * {@link RESOURCE_SERVER_CLIENT}. Default: none (a `resource` is refused, `invalid_target`).
   */
  acceptResource?: (resource: string) => boolean
}

/** The client a resource server introspects tokens as (`client_secret_basic`). */
export const RESOURCE_SERVER_CLIENT = { clientId: 'resource-server', clientSecret: 'resource-server-secret' }

export interface AuthorizationServer {
  issuer: string
  /** A generic (form-encoded, RFC 6749) config for this server. */
  config: OAuthConfig
  /** Acts as the user's browser: follows the authorization URL, logs in, consents, and returns the callback URL. */
  authorize(authorizationUrl: string): Promise<string>
  /** What the server saw: successful token grants, failed ones (by error), and revoked grants. */
  readonly events: { grants: number; refreshGrants: number; errors: string[]; revoked: number; refreshedAt: number[] }
  close(): Promise<void>
}

/**
 * Keeps the server's state in memory on purpose (it is a throwaway test server); naming it
 * also stops oidc-provider from warning about its own quick-start adapter.
 */
function memoryAdapter() {
  const store = new Map<string, Record<string, unknown>>()
  const grants = new Map<string, string[]>()
  return class MemoryAdapter {
    constructor(private readonly model: string) {}
    key(id: string) {
      return `${this.model}:${id}`
    }
    async upsert(id: string, payload: Record<string, unknown>) {
      store.set(this.key(id), payload)
      if (typeof payload.grantId === 'string') grants.set(payload.grantId, [...(grants.get(payload.grantId) ?? []), this.key(id)])
    }
    async find(id: string) {
      return store.get(this.key(id))
    }
    async findByUid(uid: string) {
      return [...store.values()].find((p) => p.uid === uid)
    }
    async findByUserCode(userCode: string) {
      return [...store.values()].find((p) => p.userCode === userCode)
    }
    async consume(id: string) {
      const payload = store.get(this.key(id))
      if (payload) payload.consumed = Math.floor(Date.now() / 1000)
    }
    async destroy(id: string) {
      store.delete(this.key(id))
    }
    async revokeByGrantId(grantId: string) {
      for (const key of grants.get(grantId) ?? []) store.delete(key)
      grants.delete(grantId)
    }
  }
}

export const CLIENT_ID = 'test-cli'
export const REDIRECT_URI = 'http://127.0.0.1/callback'

export async function startAuthorizationServer(options: AuthorizationServerOptions = {}): Promise<AuthorizationServer> {
  const accountId = options.accountId ?? 'user-1'
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'test' }
  const http = createServer()
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`

  const provider = new Provider(issuer, {
    adapter: memoryAdapter(),
    clients: [
      {
        client_id: CLIENT_ID,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
      },
      {
        client_id: RESOURCE_SERVER_CLIENT.clientId,
        client_secret: RESOURCE_SERVER_CLIENT.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
      ...((options.extraClients ?? []) as never[]),
    ],
    scopes: ['openid', 'offline_access', 'mcp:tools'],
    pkce: { required: () => true },
    rotateRefreshToken: options.rotateRefreshToken ?? true,
    clockTolerance: 0,
    ttl: {
      AccessToken: options.accessTokenTtl ?? 2,
      AuthorizationCode: 60,
      IdToken: 60,
      RefreshToken: 86400,
      Grant: 86400,
      Session: 3600,
      Interaction: 600,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async (_ctx, client) => client.clientId === RESOURCE_SERVER_CLIENT.clientId },
      resourceIndicators: {
        enabled: true,
        // A refresh without `resource` keeps the audience the login was granted.
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource) => {
          if (!options.acceptResource?.(resource)) throw new errors.InvalidTarget()
          return { scope: 'mcp:tools', audience: resource, accessTokenFormat: 'opaque', accessTokenTTL: options.accessTokenTtl ?? 2 }
        },
      },
    },
    // The default does the same with URL.parse, which Node 20 lacks: a browser app may call the
    // token and userinfo endpoints from the origin of one of its redirect URIs.
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris!.some((uri) => new URL(uri).origin === origin),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    jwks: { keys: [jwk as never] },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  })
  const events = { grants: 0, refreshGrants: 0, errors: [] as string[], revoked: 0, refreshedAt: [] as number[] }
  provider.on('grant.success', (ctx) => {
    events.grants++
    if ((ctx as { oidc?: { params?: { grant_type?: string } } }).oidc?.params?.grant_type === 'refresh_token') {
      events.refreshGrants++
      events.refreshedAt.push(Date.now())
    }
  })
  provider.on('grant.error', (_ctx, err) => events.errors.push((err as { error?: string }).error ?? String(err)))
  provider.on('grant.revoked', () => events.revoked++)

  // The login and consent pages, answered without a browser: the test posts the login and the consent forms itself.
  async function interaction(req: IncomingMessage, res: ServerResponse) {
    const details = await provider.interactionDetails(req, res)
    if (options.pages && req.method === 'GET') {
      const login = details.prompt.name === 'login'
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
        `<!doctype html><meta charset="utf-8"><title>${login ? 'Sign in' : 'Consent'}</title>` +
          `<h1>${login ? 'Sign in to the test server' : 'Allow access?'}</h1>` +
          `<form method="post" action="${req.url}"><p>${login ? `Account: <b>${accountId}</b>` : `Scopes: ${(details.params.scope as string) ?? ''}`}</p>` +
          `<button id="${login ? 'login' : 'consent'}" type="submit">${login ? 'Sign in' : 'Allow'}</button></form>`,
      )
      return
    }
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false })
      return
    }
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id as string })
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> }
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '))
    const grantId = await grant.save()
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
  }

  const callback = provider.callback()
  http.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res).catch((err) => res.writeHead(500).end(String(err)))
    } else callback(req, res)
  })

  async function authorize(authorizationUrl: string): Promise<string> {
    const jar = new Map<string, string>()
    let url = authorizationUrl
    for (let hop = 0; hop < 20; hop++) {
      const res = await fetch(url, {
        redirect: 'manual',
        headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      })
      for (const cookie of res.headers.getSetCookie()) {
        const [pair] = cookie.split(';')
        const eq = pair!.indexOf('=')
        jar.set(pair!.slice(0, eq), pair!.slice(eq + 1))
      }
      const location = res.headers.get('location')
      await res.body?.cancel()
      if (!location) throw new Error(`authorization stopped at ${new URL(url).pathname} with HTTP ${res.status}`)
      const next = new URL(location, url)
      // Leaving the server is reaching the client's redirect URI (any port: RFC 8252 §7.3 loopback redirects).
      if (next.origin !== issuer) return next.href
      url = next.href
    }
    throw new Error('authorization did not reach the redirect URI within 20 redirects')
  }

  return {
    issuer,
    config: {
      clientId: CLIENT_ID,
      authorizeUrl: `${issuer}/auth`,
      tokenUrl: `${issuer}/token`,
      redirectUri: REDIRECT_URI,
      scopes: 'openid offline_access',
      // oidc-provider issues a refresh token for offline_access only with prompt=consent.
      authorizeParams: { prompt: 'consent' },
    },
    authorize,
    events,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections()
        http.close(() => resolve())
      }),
  }
}
