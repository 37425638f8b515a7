// The Durable Object store and session in workerd (miniflare), against oidc-provider with
// refresh-token rotation (a reused refresh token revokes the whole grant) and 2-second tokens.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildAuthorizationUrl, OAUTH_NOT_LOGGED_IN, OAUTH_RATE_LIMITED, parseAuthCode, type OAuthTokens, sleep } from '@oauth/core'
import { exchangeCodeForTokens } from '@oauth/http'
import { startAuthorizationServer, type AuthorizationServer } from '@oauth/test-utils'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestBundle } from '../../core/runtimes/build-bundle.js'
import type { RunResult } from '../../core/runtimes/vitest-shim.js'

const dir = mkdtempSync(join(tmpdir(), 'oauth-storage-do-'))
let oidc: AuthorizationServer
let mf: Miniflare
let base: string
// A token endpoint that answers every request 429 with Retry-After: 30, as a rate-limited server does.
let limited: Server
let limitedRequests = 0

beforeAll(async () => {
  oidc = await startAuthorizationServer({ accessTokenTtl: 2 })
  limited = createServer((req, res) => {
    limitedRequests++
    req.resume().on('end', () => res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '30' }).end('{"error":"rate_limited"}'))
  })
  await new Promise<void>((resolve) => limited.listen(0, '127.0.0.1', resolve))
  const limitedConfig = { ...oidc.config, tokenUrl: `http://127.0.0.1:${(limited.address() as AddressInfo).port}/token` }
  await buildTestBundle([fileURLToPath(new URL('./in-workerd.ts', import.meta.url))], join(dir, 'conformance.mjs'))
  // platform "neutral": a Node built-in anywhere in the worker's graph fails the build.
  const worker = await build({
    entryPoints: [fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['@oauth/source', 'worker', 'browser'],
    external: ['./conformance.mjs'],
    write: false,
    logLevel: 'error',
  })
  mf = new Miniflare({
    modules: [
      { type: 'ESModule', path: join(dir, 'worker.mjs'), contents: worker.outputFiles[0]!.text },
      { type: 'ESModule', path: join(dir, 'conformance.mjs'), contents: readFileSync(join(dir, 'conformance.mjs'), 'utf8') },
    ],
    modulesRoot: dir,
    compatibilityDate: '2024-09-23',
    durableObjects: { SESSIONS: 'OAuthSession', LIMITED: 'LimitedSession', HARNESS: 'ConformanceHarness' },
    bindings: { CONFIG: JSON.stringify({ ...oidc.config, userinfoUrl: `${oidc.issuer}/me` }), LIMITED_CONFIG: JSON.stringify(limitedConfig) },
    port: 0,
  })
  base = (await mf.ready).origin
}, 60_000)
afterAll(async () => {
  await mf?.dispose()
  await oidc?.close()
  await new Promise((resolve) => limited?.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

async function newLogin(): Promise<OAuthTokens> {
  const { url, oauthState } = await buildAuthorizationUrl(oidc.config)
  const { code, state } = parseAuthCode(await oidc.authorize(url))
  return exchangeCodeForTokens(code, state, oauthState, oidc.config)
}

const post = (path: string, body?: unknown) => fetch(`${base}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) })

describe('DurableObjectTokenStore', () => {
  it('passes the storage conformance suite inside a Durable Object in workerd', async () => {
    const result = (await (await fetch(`${base}/conformance`)).json()) as RunResult
    expect(result.failures).toEqual([])
    expect(result.passed).toBe(12) // every conformance test, with lock, sibling handles and corruption
  }, 60_000)
})

describe('TokenSessionObject and TokenSession', () => {
  it('100 concurrent requests from separate invocations, over 5 expiries: one refresh per expiry, no invalid_grant, all served', async () => {
    await post('/login?login=load', await newLogin())
    const grantsBefore = oidc.events.refreshGrants
    const statuses: number[] = []
    const ROUNDS = 5
    for (let round = 0; round < ROUNDS; round++) {
      await sleep(2_200) // the token has expired, at the server and in the object
      const responses = await Promise.all(Array.from({ length: 100 }, () => fetch(`${base}/call?login=load`)))
      for (const res of responses) {
        statuses.push(res.status)
        await res.body?.cancel()
      }
    }
    const refreshes = oidc.events.refreshGrants - grantsBefore
    console.log(`durable object: ${statuses.length} requests in ${ROUNDS} rounds of 100, ${refreshes} refreshes, refused grants: ${oidc.events.errors.length}`)
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    expect(refreshes).toBe(ROUNDS)
    expect(oidc.events.errors).toEqual([])
  }, 60_000)

  it('gives the worker an access token and when it ends, never the refresh token', async () => {
    const tokens = await newLogin()
    await post('/login?login=shape', tokens)
    const answer = (await (await post('/refresh?login=shape')).json()) as Record<string, unknown>
    expect(Object.keys(answer).sort()).toEqual(['accessToken', 'expiresAt'])
    expect(answer.accessToken).not.toBe(tokens.accessToken) // a forced refresh, done by the object
    expect(JSON.stringify(answer)).not.toContain(tokens.refreshToken!)
    expect(await (await fetch(`${base}/status?login=shape`)).json()).toMatchObject({ loggedIn: true })
  })

  it('keeps logins apart, one object each, and a logout in one leaves the other', async () => {
    await post('/login?login=alice', await newLogin())
    await post('/login?login=bob', await newLogin())
    expect(await (await post('/logout?login=alice')).json()).toMatchObject({ removed: true })
    expect(await (await fetch(`${base}/status?login=alice`)).json()).toEqual({ loggedIn: false, expiresAt: null })
    expect((await fetch(`${base}/call?login=bob`)).status).toBe(200)
  })

  it('a login the object does not hold is a typed OAUTH_NOT_LOGGED_IN in the worker', async () => {
    const res = await fetch(`${base}/call?login=nobody`)
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ code: OAUTH_NOT_LOGGED_IN, name: 'OAuthFlowError' })
  })

  it('a refresh the server rate limits reaches the worker as OAUTH_RATE_LIMITED with its Retry-After; the login stays, and no second request is sent during the pause', async () => {
    const expired: OAuthTokens = { accessToken: 'expired-access', refreshToken: 'still-good-refresh', expiresAt: Date.now() - 1_000, tokenType: 'Bearer', scope: 'openid' }
    expect((await post('/login?object=limited&login=busy', expired)).status).toBe(200)
    const first = await fetch(`${base}/access-token?object=limited&login=busy`)
    expect(first.status).toBe(401)
    const error = (await first.json()) as Record<string, unknown>
    expect(error).toMatchObject({ name: 'TokenSessionError', remoteName: 'OAuthHttpError', code: OAUTH_RATE_LIMITED, retryable: true, status: 429 })
    expect(error.retryAfterMs).toBeGreaterThan(25_000)
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000)
    expect(limitedRequests).toBe(1)
    // The cooldown is kept in the object's storage: the next call is told how long is left, and sends nothing.
    const second = (await (await fetch(`${base}/access-token?object=limited&login=busy`)).json()) as Record<string, unknown>
    expect(second).toMatchObject({ code: OAUTH_RATE_LIMITED, retryable: true })
    expect(limitedRequests).toBe(1)
    expect(await (await fetch(`${base}/status?object=limited&login=busy`)).json()).toMatchObject({ loggedIn: true })
    expect(JSON.stringify([error, second])).not.toContain('still-good-refresh')
  })
})
