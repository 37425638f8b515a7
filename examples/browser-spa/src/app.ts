// A single-page app: signs in with PKCE (no client secret), exchanges the code from the
// browser, and shows who is signed in. Tokens stay in memory; only the PKCE verifier and
// state wait in sessionStorage (this tab only) while the browser is at the server.
import { buildAuthorizationUrl, parseAuthCode, type OAuthConfig } from '@oauth/core'
import { exchangeCodeForTokens } from '@oauth/http'

type AppConfig = OAuthConfig & { userinfoUrl: string }
const config = (await (await fetch('./config.json')).json()) as AppConfig
const status = document.querySelector<HTMLParagraphElement>('#status')!
const signIn = document.querySelector<HTMLButtonElement>('#sign-in')!
const KEY = 'oauth_state'

const params = new URLSearchParams(location.search)
if (params.has('code') || params.has('error')) {
  const saved = sessionStorage.getItem(KEY)
  sessionStorage.removeItem(KEY)
  // The code is single-use: take it out of the address bar and the history at once.
  history.replaceState(null, '', location.pathname)
  try {
    const { code, state } = parseAuthCode(`${location.origin}/?${params}`)
    if (!saved) throw new Error('No sign-in was started in this tab. Sign in again.')
    const tokens = await exchangeCodeForTokens(code, state, JSON.parse(saved), config)
    const me = (await (await fetch(config.userinfoUrl, { headers: { authorization: `Bearer ${tokens.accessToken}` } })).json()) as { sub: string }
    status.textContent = `Signed in as ${me.sub}.`
    signIn.hidden = true
  } catch (err) {
    status.textContent = `Sign-in failed: ${(err as Error).message}`
  }
}

signIn.addEventListener('click', async () => {
  const { url, oauthState } = await buildAuthorizationUrl(config)
  sessionStorage.setItem(KEY, JSON.stringify(oauthState))
  location.assign(url)
})
