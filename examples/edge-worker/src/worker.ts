// An edge worker (workerd, Cloudflare Workers) that signs users in with OAuth 2.0 + PKCE.
// It imports only @oauth/core and @oauth/http: no Node built-ins, Web Crypto only.
//
//   GET /login     → redirect to the authorization server; the PKCE verifier and state
//                    travel in a signed, HttpOnly cookie (the worker keeps no state)
//   GET /callback  → checks the cookie's signature and the state, exchanges the code
import { base64url, buildAuthorizationUrl, OAuthError, parseAuthCode, type OAuthConfig, type OAuthState } from '@oauth/core'
import { exchangeCodeForTokens } from '@oauth/http'

export interface Env {
  OAUTH_CLIENT_ID: string
  OAUTH_AUTHORIZE_URL: string
  OAUTH_TOKEN_URL: string
  OAUTH_REDIRECT_URI: string
  OAUTH_SCOPES: string
  OAUTH_AUTHORIZE_PARAMS?: string
  /** At least 32 random bytes, as a secret binding. */
  COOKIE_SECRET: string
}

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

async function seal(state: OAuthState, secret: string): Promise<string> {
  const payload = base64url(new TextEncoder().encode(JSON.stringify({ ...state, exp: Date.now() + 600_000 })))
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), new TextEncoder().encode(payload)))
  return `${payload}.${base64url(signature)}`
}

async function unseal(cookie: string | undefined, secret: string): Promise<OAuthState | null> {
  const [payload, signature] = cookie?.split('.') ?? []
  if (!payload || !signature) return null
  const valid = await crypto.subtle.verify('HMAC', await hmacKey(secret), fromBase64url(signature), new TextEncoder().encode(payload))
  if (!valid) return null
  const data = JSON.parse(new TextDecoder().decode(fromBase64url(payload))) as OAuthState & { exp: number }
  return data.exp > Date.now() ? { codeVerifier: data.codeVerifier, state: data.state } : null
}

function cookieValue(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return rest.join('=')
  }
  return undefined
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url)
    const config = configFrom(env)
    if (url.pathname === '/login') {
      const { url: authorizationUrl, oauthState } = await buildAuthorizationUrl(config)
      const cookie = `${COOKIE}=${await seal(oauthState, env.COOKIE_SECRET)}; HttpOnly; Secure; SameSite=Lax; Path=/callback; Max-Age=600`
      return new Response(null, { status: 302, headers: { location: authorizationUrl, 'set-cookie': cookie } })
    }
    if (url.pathname === '/callback') {
      const oauthState = await unseal(cookieValue(request, COOKIE), env.COOKIE_SECRET)
      if (!oauthState) return json(400, { error: 'missing_or_invalid_login_cookie', message: 'Start the login again at /login.' })
      const clear = { 'set-cookie': `${COOKIE}=; HttpOnly; Secure; SameSite=Lax; Path=/callback; Max-Age=0` }
      try {
        const { code, state } = parseAuthCode(request.url)
        const tokens = await exchangeCodeForTokens(code, state, oauthState, config)
        // A real worker would now start a session (KV, a Durable Object); never send tokens to the page.
        return json(200, { signedIn: true, scope: tokens.scope, expiresInSeconds: tokens.expiresAt ? Math.round((tokens.expiresAt - Date.now()) / 1000) : null }, clear)
      } catch (err) {
        const code = err instanceof OAuthError ? err.code : 'error'
        return json(400, { error: code, message: (err as Error).message }, clear)
      }
    }
    return new Response('Not found: try /login', { status: 404 })
  },
}
