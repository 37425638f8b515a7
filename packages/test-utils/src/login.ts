// The whole authorization-code flow against a test server, with the test playing the user.
// @oauth/http by path, as the stand-in takes the preset: http's own tests use this package, and a
// dependency back on http would be a cycle (pnpm and turbo both refuse to order one).
import { buildAuthorizationUrl, parseAuthCode, type OAuthConfig, type OAuthTokens } from '@oauth/core'
import { exchangeCodeForTokens } from '../../http/src/authorization-code.js'

/**
 * Logs in at `config`'s server: PKCE and state, then `answer` plays the user at the authorization
 * URL (`server.authorize`, `standIn.approve`) and returns where the browser was sent, or the
 * `code#state` the paste page shows; then the code is exchanged.
 */
export async function loginAt(config: OAuthConfig, answer: (authorizationUrl: string) => Promise<string>): Promise<OAuthTokens> {
  const { url, oauthState } = await buildAuthorizationUrl(config)
  const { code, state } = parseAuthCode(await answer(url))
  return exchangeCodeForTokens(code, state, oauthState, config)
}
