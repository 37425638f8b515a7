// The whole lifecycle on this machine, with no network: a real OAuth server
// (oidc-provider) and a stand-in for the Messages API, both on 127.0.0.1.
// Run it with `pnpm demo` at the repository root.
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AnthropicOAuth, buildAuthorizationUrl, exchangeCodeForTokens, parseAuthCode, TokenManager, TokenStorage } from '@oauth/client'
import { startAnthropicStandIn } from '@oauth/test-utils/anthropic-stand-in'
import { startAuthorizationServer } from '@oauth/test-utils/authorization-server'

const ACCESS_TOKEN_SECONDS = 4
/** Tokens are never printed: a short fingerprint tells them apart. */
const fingerprint = (token: string) => `#${createHash('sha256').update(token).digest('hex').slice(0, 8)}`
const step = (text: string) => console.log(`\n▸ ${text}`)
const say = (text: string) => console.log(`  ${text}`)

const dir = mkdtempSync(join(tmpdir(), 'oauth-demo-'))
step('Starting a local OAuth 2.0 server (oidc-provider: PKCE required, rotating refresh tokens)')
const auth = await startAuthorizationServer({ accessTokenTtl: ACCESS_TOKEN_SECONDS })
say(`issuer ${auth.issuer}, access tokens live ${ACCESS_TOKEN_SECONDS} s`)

step('Starting a local stand-in for the Messages API')
// It accepts a bearer token when the OAuth server's userinfo endpoint does.
const api = await startAnthropicStandIn({
  verifyToken: async (token) => (await fetch(`${auth.issuer}/me`, { headers: { authorization: `Bearer ${token}` } })).ok,
})
say(`listening on ${api.url}`)

try {
  step('Signing in with PKCE')
  const { url, oauthState } = await buildAuthorizationUrl(auth.config)
  const params = new URL(url).searchParams
  say(`authorization URL: ${auth.issuer}/auth?…&code_challenge_method=${params.get('code_challenge_method')}&state=…`)
  say('(the demo answers the login and consent pages itself, as your browser would after you click)')
  const callback = await auth.authorize(url)
  const { code, state } = parseAuthCode(callback)
  say(`callback received: code and state (state checked against the one sent)`)
  const tokens = await exchangeCodeForTokens(code, state, oauthState, auth.config)
  say(`exchanged the code: access token ${fingerprint(tokens.accessToken)}, refresh token ${tokens.refreshToken ? 'issued' : 'missing'}, scopes "${tokens.scope}"`)

  step('Storing the tokens in a file')
  const store = new TokenStorage(join(dir, 'oauth_tokens.json'))
  await store.save(tokens)
  say(`${store.path} (mode ${(statSync(store.path).mode & 0o777).toString(8)})`)

  step('Calling the Messages API')
  // Expiring 1 s early suits these short-lived demo tokens; the default margin is 300 s.
  const manager = new TokenManager({ store, config: auth.config, expiryBufferSeconds: 1 })
  const client = new AnthropicOAuth({ tokenManager: manager, baseURL: api.url })
  const ask = async () => {
    const message = await client.messages.create({ model: 'claude-demo', max_tokens: 50, messages: [{ role: 'user', content: 'Hello!' }] })
    const request = api.apiRequests.at(-1)!
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
  const saved = await store.load()
  say(`access token ${fingerprint(first)} → ${fingerprint(second)}; refreshes: ${manager.refreshCount}`)
  say(`the file now holds ${fingerprint(saved!.accessToken)} and the rotated refresh token`)
  if (second === first || manager.refreshCount !== 1 || saved!.accessToken !== second) throw new Error('the refresh did not happen as expected')
  if (auth.events.errors.length > 0) throw new Error(`the OAuth server reported errors: ${auth.events.errors.join(', ')}`)

  step('Done: signed in, stored, called, refreshed. Everything ran on 127.0.0.1.')
} finally {
  await api.close()
  await auth.close()
  rmSync(dir, { recursive: true, force: true })
}
