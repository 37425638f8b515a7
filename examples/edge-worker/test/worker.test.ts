// The worker in workerd (through miniflare), signing in against the local oidc-provider.
import { fileURLToPath } from 'node:url'
import { startAuthorizationServer, type AuthorizationServer } from '@oauth/test-utils'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const entry = fileURLToPath(new URL('../src/worker.ts', import.meta.url))
let oidc: AuthorizationServer
let mf: Miniflare
let base: string
let bundledInputs: string[]

beforeAll(async () => {
  oidc = await startAuthorizationServer({ accessTokenTtl: 2 })
  // platform "neutral": a Node built-in anywhere in the graph fails the build.
  const result = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'neutral', mainFields: ['module', 'main'], conditions: ['@oauth/source', 'worker', 'browser'], write: false, metafile: true, logLevel: 'error' })
  bundledInputs = Object.keys(result.metafile.inputs)
  mf = new Miniflare({ modules: true, script: result.outputFiles[0]!.text, compatibilityDate: '2024-09-23', port: 0 })
  base = (await mf.ready).origin
  await mf.setOptions({
    modules: true,
    script: result.outputFiles[0]!.text,
    compatibilityDate: '2024-09-23',
    port: Number(new URL(base).port),
    bindings: {
      OAUTH_CLIENT_ID: oidc.config.clientId,
      OAUTH_AUTHORIZE_URL: oidc.config.authorizeUrl,
      OAUTH_TOKEN_URL: oidc.config.tokenUrl,
      OAUTH_REDIRECT_URI: `${base}/callback`,
      OAUTH_SCOPES: oidc.config.scopes!,
      OAUTH_AUTHORIZE_PARAMS: JSON.stringify(oidc.config.authorizeParams),
      API_URL: `${oidc.issuer}/me`,
      COOKIE_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
    },
    durableObjects: { SESSIONS: 'OAuthSession' },
  })
}, 60_000)
afterAll(async () => {
  await mf?.dispose()
  await oidc?.close()
})

async function startLogin() {
  const res = await fetch(`${base}/login`, { redirect: 'manual' })
  expect(res.status).toBe(302)
  const setCookie = res.headers.get('set-cookie')!
  return { location: res.headers.get('location')!, setCookie, cookie: setCookie.split(';')[0]! }
}

describe('examples/edge-worker in workerd', () => {
  it('bundles core, http, the Durable Object store and oauth4webapi only', () => {
    // pnpm paths nest: node_modules/.pnpm/x@1/node_modules/x/…, so the last node_modules/ names the package.
    // http's package.json is its own: its version is the default User-Agent's (only that field is bundled).
    const packageOf = (path: string) => path.match(/.*node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1] ?? path.match(/packages\/([^/]+)\/(?:src\/|package\.json$)/)?.[1] ?? path
    const packages = new Set(bundledInputs.filter((p) => !p.startsWith('src/') && !p.includes('examples/edge-worker/src/')).map(packageOf))
    expect([...packages].sort()).toEqual(['core', 'http', 'oauth4webapi', 'storage-durable-object'])
  })

  it('redirects to the server with PKCE, keeping the verifier in a signed HttpOnly cookie', async () => {
    const { location, setCookie } = await startLogin()
    const params = new URL(location).searchParams
    expect(params.get('code_challenge_method')).toBe('S256')
    expect(params.get('redirect_uri')).toBe(`${base}/callback`)
    expect(setCookie).toMatch(/HttpOnly; Secure; SameSite=Lax; Path=\/callback/)
    expect(setCookie).not.toContain(params.get('code_challenge')!)
  })

  it('signs in: the callback exchanges the code with the verifier from the cookie', async () => {
    const { location, cookie } = await startLogin()
    const callback = await oidc.authorize(location)
    const res = await fetch(callback, { headers: { cookie } })
    const body = await res.json()
    expect(res.status).toBe(200)
    expect(body).toMatchObject({ signedIn: true, scope: 'openid offline_access' })
    expect(JSON.stringify(body)).not.toMatch(/token"/)
  })

  it('refuses a callback without the cookie, with a forged cookie, or with a state from another login', async () => {
    const first = await startLogin()
    const second = await startLogin()
    const callback = await oidc.authorize(first.location)
    expect((await fetch(callback)).status).toBe(400)
    const forged = first.cookie.replace(/\.[^.]+$/, '.AAAA')
    expect(await (await fetch(callback, { headers: { cookie: forged } })).json()).toMatchObject({ error: 'missing_or_invalid_login_cookie' })
    const mismatch = await fetch(callback, { headers: { cookie: second.cookie } })
    expect(mismatch.status).toBe(400)
    expect(await mismatch.json()).toMatchObject({ error: 'OAUTH_STATE_MISMATCH' })
  })

  it('keeps the login in its Durable Object: API calls refresh at the edge, and a logout ends the session', async () => {
    const { location, cookie } = await startLogin()
    const res = await fetch(await oidc.authorize(location), { headers: { cookie } })
    expect(res.status).toBe(200)
    const setCookies = res.headers.getSetCookie()
    const session = setCookies.find((c) => c.startsWith('oauth_session='))!
    expect(session).toMatch(/HttpOnly; Secure; SameSite=Lax; Path=\//)
    const sessionCookie = session.split(';')[0]!
    const api = () => fetch(`${base}/api`, { headers: { cookie: sessionCookie } })
    expect(await (await api()).json()).toEqual({ sub: 'user-1' })
    const grants = oidc.events.refreshGrants
    await new Promise((resolve) => setTimeout(resolve, 2_200)) // the 2-second token has expired
    const responses = await Promise.all(Array.from({ length: 20 }, api))
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(oidc.events.refreshGrants - grants).toBe(1) // 20 requests, one refresh, in the object
    expect(oidc.events.errors).toEqual([])
    const logout = await fetch(`${base}/logout`, { method: 'POST', headers: { cookie: sessionCookie } })
    expect(await logout.json()).toMatchObject({ removed: true })
    const after = await api()
    expect(after.status).toBe(401)
    expect(await after.json()).toMatchObject({ error: 'OAUTH_NOT_LOGGED_IN' })
  })

  it('refuses /api without a session cookie, or with a forged one', async () => {
    expect((await fetch(`${base}/api`)).status).toBe(401)
    const forged = `oauth_session=${btoa(JSON.stringify({ id: '0'.repeat(64), exp: Date.now() + 60_000 })).replace(/=+$/, '')}.AAAA`
    expect(await (await fetch(`${base}/api`, { headers: { cookie: forged } })).json()).toMatchObject({ error: 'OAUTH_NOT_LOGGED_IN' })
  })
})
