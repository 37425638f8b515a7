// 1. A PKCE pair + an authorization URL, per second.
import { createHash, randomBytes } from 'node:crypto'
import { buildAuthorizationUrl, type OAuthConfig } from '@oauth/core'
import * as oauth from 'oauth4webapi'
import pkceChallenge from 'pkce-challenge'
import { fmt, opsPerSecond, table } from './stats.js'

const config: OAuthConfig = { clientId: 'bench', authorizeUrl: 'https://id.example.com/authorize', tokenUrl: 'https://id.example.com/token', redirectUri: 'http://127.0.0.1/callback', scopes: 'openid' }

function url(challenge: string, state: string): string {
  const u = new URL(config.authorizeUrl)
  u.search = new URLSearchParams({ client_id: config.clientId, response_type: 'code', redirect_uri: config.redirectUri, scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256', state }).toString()
  return u.href
}

export async function benchPkce(quick: boolean): Promise<string> {
  const runs = quick ? 3 : 7
  const ms = quick ? 150 : 1000
  const candidates: [string, () => unknown][] = [
    ['@oauth/core `buildAuthorizationUrl`', () => buildAuthorizationUrl(config)],
    ['oauth4webapi functions', async () => {
      const verifier = oauth.generateRandomCodeVerifier()
      return url(await oauth.calculatePKCECodeChallenge(verifier), oauth.generateRandomState())
    }],
    ['pkce-challenge', async () => {
      const { code_challenge } = await pkceChallenge()
      return url(code_challenge, oauth.generateRandomState())
    }],
    ['node:crypto, synchronous (floor)', () => {
      const verifier = randomBytes(64).toString('base64url')
      return url(createHash('sha256').update(verifier).digest('base64url'), randomBytes(32).toString('base64url'))
    }],
  ]
  const results: [string, number][] = []
  for (const [name, fn] of candidates) results.push([name, await opsPerSecond(fn, runs, ms)])
  const ours = results[0]![1]
  return [
    '## 1. PKCE pair + authorization URL',
    `Median of ${runs} runs of ${ms} ms each; all but the floor use Web Crypto. Ratio = ours / theirs (above 1: ours is faster).`,
    table(['implementation', 'ops/s', 'ratio'], results.map(([name, ops]) => [name, fmt(ops), fmt(ours / ops, 2)])),
  ].join('\n\n')
}
