// A single-page app: signs in with PKCE (no client secret), exchanges the code from the
// browser, and shows who is signed in. The login lives in the browser store (IndexedDB), so
// every tab of this origin shares it: one tab refreshes at a time (Web Locks), and a sign-in or
// sign-out in one tab shows in the others at once (BroadcastChannel). Only the PKCE verifier and
// state wait in sessionStorage (this tab only) while the browser is at the server.
import { buildAuthorizationUrl, OAUTH_NOT_LOGGED_IN, OAuthError, parseAuthCode, type OAuthConfig } from '@oauth/core'
import { createOAuthFetch, exchangeCodeForTokens, TokenManager } from '@oauth/http'
import { BrowserTokenStore } from '@oauth/storage-browser'

type AppConfig = OAuthConfig & { userinfoUrl: string }
const config = (await (await fetch('./config.json')).json()) as AppConfig
const status = document.querySelector<HTMLParagraphElement>('#status')!
const signIn = document.querySelector<HTMLButtonElement>('#sign-in')!
const signOut = document.querySelector<HTMLButtonElement>('#sign-out')!
const KEY = 'oauth_state'

const store = new BrowserTokenStore({ key: 'browser-spa' })
const manager = new TokenManager({ tokenStorage: store, oauthConfig: config })
const api = createOAuthFetch(manager)

/** Shows who is signed in, asking the server with the shared login (refreshed first if it expired). */
async function render(): Promise<void> {
  try {
    const me = (await (await api(config.userinfoUrl)).json()) as { sub: string }
    status.textContent = `Signed in as ${me.sub}.`
    signIn.hidden = true
    signOut.hidden = false
  } catch (err) {
    status.textContent = err instanceof OAuthError && err.code !== OAUTH_NOT_LOGGED_IN ? `Signed out: ${err.message}` : 'Not signed in.'
    signIn.hidden = false
    signOut.hidden = true
  }
}

const params = new URLSearchParams(location.search)
if (params.has('code') || params.has('error')) {
  const saved = sessionStorage.getItem(KEY)
  sessionStorage.removeItem(KEY)
  // The code is single-use: take it out of the address bar and the history at once.
  history.replaceState(null, '', location.pathname)
  try {
    const { code, state } = parseAuthCode(`${location.origin}/?${params}`)
    if (!saved) throw new Error('No sign-in was started in this tab. Sign in again.')
    await manager.setTokens(await exchangeCodeForTokens(code, state, JSON.parse(saved), config))
  } catch (err) {
    status.textContent = `Sign-in failed: ${(err as Error).message}`
  }
}
if (!status.textContent?.startsWith('Sign-in failed')) await render()

// Another tab signed in, refreshed or signed out: show it here too.
store.subscribe(() => void render())

signIn.addEventListener('click', async () => {
  const { url, oauthState } = await buildAuthorizationUrl(config)
  sessionStorage.setItem(KEY, JSON.stringify(oauthState))
  location.assign(url)
})
signOut.addEventListener('click', async () => {
  await manager.clear()
  await render()
})
