// An edge worker (workerd, Cloudflare Workers) that signs users in with OAuth 2.0 + PKCE and
// keeps each login in its own Durable Object. It imports @oauth/core, @oauth/http and
// @oauth/storage-durable-object: no Node built-ins, Web Crypto only.
//
//   GET /login     → redirect to the authorization server; the PKCE verifier and state
//                    travel in a signed, HttpOnly cookie
//   GET /callback  → checks the cookie's signature and the state, exchanges the code, hands
//                    the tokens to a new session object, and sets a signed session cookie
//   GET /api       → calls API_URL for the user through createOAuthFetch: the session object
//                    gives an access token, refreshed once per expiry however many requests
//   POST /logout   → removes the login from its object (and revokes it where the server can)
import { base64url, buildAuthorizationUrl, OAUTH_NOT_LOGGED_IN, OAuthError, parseAuthCode, type OAuthConfig, type OAuthState, type TokenStore } from '@oauth/core'
import { createOAuthFetch, exchangeCodeForTokens, TokenManager } from '@oauth/http'
import { TokenSession, TokenSessionObject, type DurableObjectStubLike } from '@oauth/storage-durable-object'

export interface Env {
  OAUTH_CLIENT_ID: string
  OAUTH_AUTHORIZE_URL: string
  OAUTH_TOKEN_URL: string
  OAUTH_REDIRECT_URI: string
  OAUTH_SCOPES: string
  OAUTH_AUTHORIZE_PARAMS?: string
  /** The API the worker calls for signed-in users (`GET /api`). */
  API_URL: string
  /** At least 32 random bytes, as a secret binding. */
  COOKIE_SECRET: string
  /** The Durable Object namespace bound to `OAuthSession`: one object per login. */
  SESSIONS: { newUniqueId(): { toString(): string }; idFromString(id: string): unknown; get(id: unknown): DurableObjectStubLike }
}

/** One login: its tokens live in this object's storage, and it alone refreshes them. */
export class OAuthSession extends TokenSessionObject<Env> {
  protected createManager(store: TokenStore, env: Env) {
    return new TokenManager({ tokenStorage: store, oauthConfig: configFrom(env) })
  }
}

const SESSION = 'oauth_session'

const COOKIE = 'oauth_login'

function configFrom(env: Env): OAuthConfig {
  return {
    clientId: env.OAUTH_CLIENT_ID,
    authorizeUrl: env.OAUTH_AUTHORIZE_URL,
    tokenUrl: env.OAUTH_TOKEN_URL,
    redirectUri: env.OAUTH_REDIRECT_URI,
    scopes: env.OAUTH_SCOPES,
    authorizeParams: env.OAUTH_AUTHORIZE_PARAMS ? (JSON.parse(env.OAUTH_AUTHORIZE_PARAMS) as Record<string, string>) : undefined,
  }
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
}

const fromBase64url = (text: string) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))

/** A signed, expiring value for a cookie: `payload.signature`, both base64url. */
async function seal(value: object, secret: string, lifetimeMs: number): Promise<string> {
  const payload = base64url(new TextEncoder().encode(JSON.stringify({ ...value, exp: Date.now() + lifetimeMs })))
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), new TextEncoder().encode(payload)))
  return `${payload}.${base64url(signature)}`
}

async function unseal<T>(cookie: string | undefined, secret: string): Promise<T | null> {
  const [payload, signature] = cookie?.split('.') ?? []
  if (!payload || !signature) return null
  const valid = await crypto.subtle.verify('HMAC', await hmacKey(secret), fromBase64url(signature), new TextEncoder().encode(payload))
  if (!valid) return null
  const data = JSON.parse(new TextDecoder().decode(fromBase64url(payload))) as T & { exp: number }
  return data.exp > Date.now() ? data : null
}

/** The signed-in user's session object, from the session cookie; null without a valid one. */
async function sessionOf(request: Request, env: Env): Promise<TokenSession | null> {
  const session = await unseal<{ id: string }>(cookieValue(request, SESSION), env.COOKIE_SECRET)
  return session && new TokenSession(env.SESSIONS.get(env.SESSIONS.idFromString(session.id)))
}

function cookieValue(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return rest.join('=')
  }
  return undefined
}

function json(status: number, body: unknown, init: HeadersInit = {}): Response {
  const headers = new Headers(init) // several Set-Cookie headers stay apart
  headers.set('content-type', 'application/json')
  return new Response(JSON.stringify(body), { status, headers })
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url)
    const config = configFrom(env)
    if (url.pathname === '/login') {
      const { url: authorizationUrl, oauthState } = await buildAuthorizationUrl(config)
      const cookie = `${COOKIE}=${await seal(oauthState, env.COOKIE_SECRET, 600_000)}; HttpOnly; Secure; SameSite=Lax; Path=/callback; Max-Age=600`
      return new Response(null, { status: 302, headers: { location: authorizationUrl, 'set-cookie': cookie } })
    }
    if (url.pathname === '/callback') {
      const sealed = await unseal<OAuthState>(cookieValue(request, COOKIE), env.COOKIE_SECRET)
      if (!sealed) return json(400, { error: 'missing_or_invalid_login_cookie', message: 'Start the login again at /login.' })
      const oauthState = { codeVerifier: sealed.codeVerifier, state: sealed.state }
      const headers = new Headers({ 'set-cookie': `${COOKIE}=; HttpOnly; Secure; SameSite=Lax; Path=/callback; Max-Age=0` })
      try {
        const { code, state } = parseAuthCode(request.url)
        const tokens = await exchangeCodeForTokens(code, state, oauthState, config)
        // The tokens go to a new object of their own, and only its ID, signed, to the browser.
        const id = env.SESSIONS.newUniqueId().toString()
        await new TokenSession(env.SESSIONS.get(env.SESSIONS.idFromString(id))).login(tokens)
        headers.append('set-cookie', `${SESSION}=${await seal({ id }, env.COOKIE_SECRET, 30 * 86_400_000)}; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=${30 * 86_400}`)
        return json(200, { signedIn: true, scope: tokens.scope, expiresInSeconds: tokens.expiresAt ? Math.round((tokens.expiresAt - Date.now()) / 1000) : null }, headers)
      } catch (err) {
        const code = err instanceof OAuthError ? err.code : 'error'
        return json(400, { error: code, message: (err as Error).message }, headers)
      }
    }
    if (url.pathname === '/api' || url.pathname === '/logout') {
      const session = await sessionOf(request, env)
      if (!session) return json(401, { error: OAUTH_NOT_LOGGED_IN, message: 'Sign in at /login.' })
      try {
        if (url.pathname === '/logout' && request.method === 'POST') {
          const { removed, revoked } = await session.logout()
          return json(200, { removed, revoked }, { 'set-cookie': `${SESSION}=; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=0` })
        }
        const res = await createOAuthFetch(session)(env.API_URL)
        return new Response(res.body, { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? 'application/json' } })
      } catch (err) {
        if (err instanceof OAuthError) return json(401, { error: err.code, message: err.message })
        throw err
      }
    }
    return new Response('Not found: try /login', { status: 404 })
  },
}
