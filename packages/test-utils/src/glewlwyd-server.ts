// A second, independent authorization server for the tests: Glewlwyd 2.7 (C, Debian's
// `glewlwyd` package), started on 127.0.0.1 with a throwaway SQLite database and configured
// through its own admin API, as its upstream tests do (babelouest/glewlwyd test/*.c). Its OpenID
// Connect plugin has PKCE, one-use (rotating) refresh tokens, RFC 7009 revocation, RFC 8628
// device authorization and discovery; its clients are one public and two confidential ones
// (client_secret_basic, client_secret_post). It is not us: what it answers is what it answers.
//
// Seen from it, and used as test oracles:
// - a reused rotated refresh token: HTTP 400 with an empty body (not `invalid_grant`);
// - a replayed code: HTTP 403 `{"error":"invalid_code"}`;
// - scope `openid` without a `nonce`: the callback says `error=invalid_request&error_description=nonce required`;
// - redirect URIs match exactly, port included;
// - /revoke accepts only authenticated (confidential) clients: a public client gets 401, empty.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import type { OAuthConfig } from '@oauth/core'
import { freePort } from './node-script.js'

export interface GlewlwydOptions {
  /** Access-token lifetime in seconds. Default 2. */
  accessTokenTtl?: number
  /** Seconds between device-grant polls the server asks for. Default 1. */
  deviceInterval?: number
}

export type GlewlwydClient = 'public' | 'basic' | 'post'

export interface GlewlwydServer {
  /** The OpenID Connect plugin's issuer: `http://127.0.0.1:<port>/api/oidc`. */
  issuer: string
  clientIds: Record<GlewlwydClient, string>
  /** The confidential clients' secret (the same for both). */
  clientSecret: string
  /** The loopback redirect registered for every client, with its fixed port (Glewlwyd matches the port too). */
  loopbackRedirectUri: string
  /** A hand-written config for a client (the form discovery should also produce). */
  config(client: GlewlwydClient): OAuthConfig
  /** Acts as the user's browser: follows the authorization URL, signs in, grants, and returns the callback URL. */
  authorize(authorizationUrl: string): Promise<string>
  /**
   * Acts as the user on another device: opens the verification page, signs in, approves the
   * user code. (Glewlwyd has no "deny" for a device code: one nobody approves expires.)
   */
  approveDevice(userCode: string): Promise<void>
  /** What the server logged (warnings and errors). */
  log(): string
  stop(): Promise<void>
}

// The package's schema and initial admin: dbconfig-common's copy (not under /usr/share/doc,
// which slim images leave out), else the documented one.
const INIT_SQL = '/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3'
const INIT_SQL_DOC = '/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz'
const ADMIN = { username: 'admin', password: 'password' } // the Debian database's initial admin
const USER = { username: 'dev', password: 'dev-password-1' }
const SCOPE = 'api'

/** A tiny cookie jar over fetch with manual redirects: enough of a browser for Glewlwyd's API. */
function session(base: string) {
  const cookies = new Map<string, string>()
  return async (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers)
    if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    if (typeof init.body === 'string') headers.set('content-type', 'application/json')
    const response = await fetch(new URL(path, base), { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const at = pair!.indexOf('=')
      cookies.set(pair!.slice(0, at), pair!.slice(at + 1))
    }
    return response
  }
}

async function expectOk(response: Response, what: string): Promise<void> {
  if (response.status !== 200) throw new Error(`Glewlwyd ${what}: HTTP ${response.status} ${await response.text()}`)
}

export async function startGlewlwyd(options: GlewlwydOptions = {}): Promise<GlewlwydServer> {
  const dir = mkdtempSync(join(tmpdir(), 'glewlwyd-'))
  const port = await freePort()
  const callbackPort = await freePort()
  const base = `http://127.0.0.1:${port}`
  const db = join(dir, 'glewlwyd.db')
  const schema = existsSync(INIT_SQL) ? readFileSync(INIT_SQL) : gunzipSync(readFileSync(INIT_SQL_DOC))
  const init = spawnSync('sqlite3', [db], { input: schema })
  if (init.status !== 0) throw new Error(`sqlite3 could not create Glewlwyd's database: ${init.stderr}`)
  // The fields Glewlwyd needs to start; the secure-connection files are named, as it insists, but unused.
  writeFileSync(
    join(dir, 'glewlwyd.conf'),
    `port=${port}
bind_address="127.0.0.1"
external_url="${base}"
login_url="login.html"
api_prefix="api"
allow_origin="*"
log_mode="file"
log_level="WARNING"
log_file="${join(dir, 'glewlwyd.log')}"
cookie_secure=0
session_expiration=3600
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
profile_session_authentication="cookie"
allow_multiple_user_per_session=true
login_api_enabled=true
max_post_size=16778240
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="/usr/lib/glewlwyd/user"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="/usr/lib/glewlwyd/plugin"
secure_connection_key_file="${join(dir, 'unused.key')}"
secure_connection_pem_file="${join(dir, 'unused.pem')}"
use_secure_connection=false
hash_algorithm="SHA512"
database = { type = "sqlite3" path = "${db}" };
`,
  )
  let child: ChildProcess
  try {
    child = spawn('glewlwyd', [`--config-file=${join(dir, 'glewlwyd.conf')}`], { stdio: ['ignore', 'ignore', 'pipe'] })
  } catch (err) {
    throw new Error(`glewlwyd could not start (apt-get install -y glewlwyd sqlite3): ${err}`)
  }
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`glewlwyd is missing (apt-get install -y glewlwyd): ${err.message}`)))
    child.once('exit', (code) => reject(new Error(`glewlwyd exited (${code}): ${stderr}`)))
  })
  exited.catch(() => undefined)
  const admin = session(base)
  const deadline = Date.now() + 15_000
  for (;;) {
    const ok = await Promise.race([admin('/api/auth/', { method: 'POST', body: JSON.stringify(ADMIN) }).then((r) => r.status === 200, () => false), exited])
    if (ok) break
    if (Date.now() > deadline) throw new Error(`glewlwyd did not answer within 15 s: ${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const loopbackRedirectUri = `http://127.0.0.1:${callbackPort}/callback`
  const redirectUris = [loopbackRedirectUri, 'http://127.0.0.1/callback']
  const clientIds = { public: 'glw-public', basic: 'glw-basic', post: 'glw-post' }
  const clientSecret = 'glw-client-secret-0123456789'
  const issuer = `${base}/api/oidc`
  const setup: [string, string, Record<string, unknown>][] = [
    ['POST', '/api/scope/', { name: SCOPE, display_name: 'API', description: 'API', password_required: true, password_max_age: 0 }],
    ['POST', '/api/user/', { ...USER, name: 'Dev', email: 'dev@example.com', scope: ['openid', SCOPE], enabled: true }],
    [
      'POST',
      '/api/mod/plugin/',
      {
        module: 'oidc',
        name: 'oidc',
        display_name: 'OpenID Connect',
        enabled: true,
        parameters: {
          iss: issuer,
          'jwt-type': 'sha',
          'jwt-key-size': '256',
          key: 'glewlwyd-test-signing-key',
          'access-token-duration': options.accessTokenTtl ?? 2,
          'refresh-token-duration': 86400,
          'code-duration': 60,
          'refresh-token-rolling': true,
          'refresh-token-one-use': 'always',
          'allow-non-oidc': true,
          'auth-type-code-enabled': true,
          'auth-type-refresh-enabled': true,
          'auth-type-device-enabled': true,
          'auth-type-client-enabled': true,
          'device-authorization-interval': options.deviceInterval ?? 1,
          'device-authorization-expiration': 600,
          'introspection-revocation-allowed': true,
          'introspection-revocation-allow-target-client': true,
          'pkce-allowed': true,
          'pkce-method-plain-allowed': false,
        },
      },
    ],
    ['POST', '/api/client/', { client_id: clientIds.public, name: 'public', confidential: false, redirect_uri: redirectUris, authorization_type: ['code', 'refresh_token', 'device_authorization'], enabled: true }],
    ...(['basic', 'post'] as const).map((kind): [string, string, Record<string, unknown>] => [
      'POST',
      '/api/client/',
      {
        client_id: clientIds[kind],
        name: kind,
        confidential: true,
        client_secret: clientSecret,
        token_endpoint_auth_method: [`client_secret_${kind}`],
        redirect_uri: redirectUris,
        authorization_type: ['code', 'refresh_token', 'device_authorization', 'client_credentials'],
        enabled: true,
      },
    ]),
  ]
  for (const [method, path, body] of setup) await expectOk(await admin(path, { method, body: JSON.stringify(body) }), `${method} ${path}`)

  /** Signs in as the test user and grants the scopes to the client, as the login page would. */
  async function signInAndGrant(user: ReturnType<typeof session>, clientId: string, scope: string): Promise<void> {
    await expectOk(await user('/api/auth/', { method: 'POST', body: JSON.stringify(USER) }), 'sign-in')
    await expectOk(await user(`/api/auth/grant/${encodeURIComponent(clientId)}`, { method: 'PUT', body: JSON.stringify({ scope }) }), 'grant')
  }

  /** Follows Glewlwyd's redirects; where it sends the browser to its login page, signs in and grants, then continues. */
  async function follow(user: ReturnType<typeof session>, start: string, stopAt: (location: URL) => boolean): Promise<string> {
    let url = start
    for (let hop = 0; hop < 10; hop++) {
      const response = await user(url)
      const location = response.headers.get('location')
      if (!location) throw new Error(`Glewlwyd answered ${url} with HTTP ${response.status} and no redirect: ${await response.text()}`)
      const next = new URL(location, base)
      if (stopAt(next)) return next.href
      if (next.pathname.endsWith('/login.html')) {
        await signInAndGrant(user, next.searchParams.get('client_id') ?? '', next.searchParams.get('scope') ?? '')
        url = `${next.searchParams.get('callback_url')}&g_continue`
        continue
      }
      url = next.href
    }
    throw new Error(`Glewlwyd kept redirecting from ${start}`)
  }

  return {
    issuer,
    clientIds,
    clientSecret,
    loopbackRedirectUri,
    config: (client) => ({
      clientId: clientIds[client],
      authorizeUrl: `${issuer}/auth`,
      tokenUrl: `${issuer}/token`,
      redirectUri: loopbackRedirectUri,
      scopes: SCOPE,
      issuer,
      revocationUrl: `${issuer}/revoke`,
      deviceAuthorizationUrl: `${issuer}/device_authorization`,
      ...(client === 'public' ? {} : { clientSecret, clientAuthMethod: `client_secret_${client}` as const }),
    }),
    authorize: (authorizationUrl) => follow(session(base), authorizationUrl, (location) => location.port !== String(port)),
    async approveDevice(userCode) {
      const user = session(base)
      // The verification page sends an unsigned-in browser to the login page, like the code flow.
      const first = await user(`/api/oidc/device?code=${encodeURIComponent(userCode)}`)
      const login = new URL(first.headers.get('location') ?? '', base)
      if (!login.pathname.endsWith('/login.html')) throw new Error(`Glewlwyd's device page answered HTTP ${first.status}: ${login.href}`)
      await signInAndGrant(user, login.searchParams.get('client_id') ?? '', login.searchParams.get('scope') ?? SCOPE)
      const done = await user(`${login.searchParams.get('callback_url')}&g_continue`)
      const result = new URL(done.headers.get('location') ?? '', base)
      if (!/prompt=deviceComplete/.test(result.search)) throw new Error(`Glewlwyd did not approve the device code: ${result.href}`)
    },
    log: () => {
      try {
        return readFileSync(join(dir, 'glewlwyd.log'), 'utf8')
      } catch {
        return ''
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => (rmSync(dir, { recursive: true, force: true }), resolve())
        if (child.exitCode !== null) return done()
        child.removeAllListeners('exit')
        child.once('exit', done)
        child.kill('SIGTERM')
      }),
  }
}
