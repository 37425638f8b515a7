// The whole lifecycle on this machine, with no network: a stand-in for Anthropic's OAuth
// service and Messages API on 127.0.0.1, modelled on how the service behaves today
// (platform.claude.com token endpoint, the paste page's redirect, rotating refresh tokens,
// the 2025 plan's console host answering 404). Run it with `pnpm demo` at the repository root.
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  AnthropicOAuth,
  buildAuthorizationUrl,
  DEFAULT_AUTHORIZE_URL,
  DEFAULT_TOKEN_URL,
  ANTHROPIC_TOKEN_URL_FALLBACKS,
  exchangeCodeForTokens,
  OAuthHttpError,
  parseAuthCode,
  refreshAccessToken,
  TokenManager,
  TokenStorage,
} from '@oauth/client'
import { startAnthropicStandIn } from '@oauth/test-utils/anthropic-stand-in'

const ACCESS_TOKEN_SECONDS = 4
/** Tokens are never printed: a short fingerprint tells them apart. */
const fingerprint = (token: string) => `#${createHash('sha256').update(token).digest('hex').slice(0, 8)}`
const step = (text: string) => console.log(`\n▸ ${text}`)
const say = (text: string) => console.log(`  ${text}`)

const dir = mkdtempSync(join(tmpdir(), 'oauth-demo-'))
step("Starting a local stand-in for Anthropic's OAuth service and Messages API")
const service = await startAnthropicStandIn()
service.accessTokenTtlSeconds = ACCESS_TOKEN_SECONDS
const host = (url: string) => new URL(url).host
say(`${host(DEFAULT_AUTHORIZE_URL)} (authorization page) → ${new URL(service.config.authorizeUrl).origin}`)
say(`${host(DEFAULT_TOKEN_URL)} (token endpoint)  → ${service.platformUrl}`)
say(`${host(ANTHROPIC_TOKEN_URL_FALLBACKS[0]!)} (API, fallback token endpoint) → ${service.url}`)
say(`${host(ANTHROPIC_TOKEN_URL_FALLBACKS[1]!)} (the 2025 plan's host, 404 today) → ${service.consoleUrl}`)
say(`access tokens live ${ACCESS_TOKEN_SECONDS} s; refresh tokens rotate, and reusing one revokes the login`)

try {
  step('Signing in with PKCE (manual mode: the page shows code#state to paste)')
  const { url, oauthState } = await buildAuthorizationUrl(service.config)
  const params = new URL(url).searchParams
  say(`authorization URL: …/cai/oauth/authorize?code=true&client_id=…&redirect_uri=${params.get('redirect_uri')}&code_challenge_method=${params.get('code_challenge_method')}&state=…`)
  say('(the demo approves on the stand-in page itself, as you would in the browser)')
  const pasted = await service.approve(url)
  const { code, state } = parseAuthCode(pasted)
  say('pasted code#state; the state matches the one sent')
  const tokens = await exchangeCodeForTokens(code, state, oauthState, service.config)
  const exchange = service.tokenRequests.at(-1)!
  say(`exchanged at the ${exchange.host} host (anthropic-beta: ${exchange.headers['anthropic-beta']}): access token ${fingerprint(tokens.accessToken)}, refresh token ${tokens.refreshToken ? 'issued' : 'missing'}`)
  say(`account ${tokens.account?.emailAddress}, scopes "${tokens.scope}"`)

  step('Storing the tokens in a file')
  const store = new TokenStorage({ path: join(dir, 'oauth_tokens.json') })
  await store.save(tokens)
  say(`${store.path} (mode ${(statSync(store.path).mode & 0o777).toString(8)})`)

  step('Calling the Messages API')
  // Expiring 1 s early suits these short-lived demo tokens; the default margin is 300 s.
  const manager = new TokenManager({ tokenStorage: store, oauthConfig: service.config, expiryBufferSeconds: 1 })
  const client = new AnthropicOAuth({ tokenManager: manager, baseURL: service.url })
  const ask = async () => {
    const message = await client.messages.create({ model: 'claude-demo', max_tokens: 50, messages: [{ role: 'user', content: 'Hello!' }] })
    const request = service.apiRequests.at(-1)!
    const bearer = String(request.headers.authorization).replace('Bearer ', '')
    say(`reply: "${message.content[0]?.type === 'text' ? message.content[0].text : ''}"`)
    say(`sent: Authorization: Bearer ${fingerprint(bearer)}, ?beta=${request.query.beta}, anthropic-beta: ${request.headers['anthropic-beta']}`)
    return bearer
  }
  const first = await ask()

  step(`Waiting ${ACCESS_TOKEN_SECONDS + 1} s, past the access token's expiry`)
  await new Promise((resolve) => setTimeout(resolve, (ACCESS_TOKEN_SECONDS + 1) * 1000))

  step('Calling again: the client refreshes the token by itself')
  const second = await ask()
  const refresh = service.tokenRequests.at(-1)!
  const saved = await store.load()
  say(`refreshed at the ${refresh.host} host with ${Object.keys(refresh.body as object).sort().join(', ')} (no scope)`)
  say(`access token ${fingerprint(first)} → ${fingerprint(second)}; refreshes: ${manager.refreshCount}`)
  say(`the file now holds ${fingerprint(saved!.accessToken)} and the rotated refresh token`)
  if (second === first || manager.refreshCount !== 1 || saved!.accessToken !== second) throw new Error('the refresh did not happen as expected')
  if (service.invalidGrants > 0) throw new Error(`the service refused ${service.invalidGrants} grants`)

  step("The 2025 plan's token endpoint, for comparison")
  try {
    await refreshAccessToken(saved!.refreshToken!, service.legacyConfig, { retry: false })
    throw new Error('the legacy endpoint should have refused')
  } catch (err) {
    if (!(err instanceof OAuthHttpError)) throw err
    say(`console.anthropic.com/v1/oauth/token answered HTTP ${err.status} ${err.error} (${err.code}), as it has since June 2026`)
    say('(nothing was spent there: the stored login still works)')
  }

  step('Done: signed in, stored, called, refreshed. Everything ran on 127.0.0.1.')
} finally {
  await service.close()
  rmSync(dir, { recursive: true, force: true })
}
