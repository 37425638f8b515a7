// One browser tab for the tabs benchmark. `?client=ours`: the browser store with the token
// manager and createOAuthFetch. `?client=naive`: what a hand-rolled SPA does, tokens in
// localStorage and every tab refreshing on its own when its token is expiring or refused.
import type { OAuthConfig, OAuthTokens } from '@oauth/core'
import { createOAuthFetch, TokenManager } from '@oauth/http'
import { BrowserTokenStore } from '@oauth/storage-browser'

const params = new URLSearchParams(location.search)
const config = (await (await fetch('/config.json')).json()) as OAuthConfig & { userinfoUrl: string }
const report = { calls: 0, ok: 0, failed: 0, tokenRequests: 0, lastOkAt: 0 }
const counting: typeof fetch = (input, init) => {
  report.tokenRequests++
  return fetch(input, init)
}

let call: () => Promise<Response>
let seed: (tokens: OAuthTokens) => Promise<void>
if (params.get('client') === 'ours') {
  const manager = new TokenManager({ tokenStorage: new BrowserTokenStore({ key: 'bench' }), oauthConfig: config, oauthRequestOptions: { fetch: counting } })
  const api = createOAuthFetch(manager)
  call = () => api(config.userinfoUrl)
  seed = (tokens) => manager.setTokens(tokens)
} else {
  const read = () => JSON.parse(localStorage.getItem('bench') ?? 'null') as { access_token: string; refresh_token: string; expires_at: number } | null
  const refresh = async () => {
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: read()!.refresh_token, client_id: config.clientId })
    const res = await counting(config.tokenUrl, { method: 'POST', body })
    if (!res.ok) throw new Error(`refresh: HTTP ${res.status}`)
    const t = (await res.json()) as { access_token: string; refresh_token: string; expires_in: number }
    localStorage.setItem('bench', JSON.stringify({ ...t, expires_at: Date.now() + t.expires_in * 1000 }))
  }
  const send = () => fetch(config.userinfoUrl, { headers: { authorization: `Bearer ${read()!.access_token}` } })
  call = async () => {
    if (read()!.expires_at - Date.now() < 500) await refresh()
    const res = await send()
    if (res.status !== 401) return res
    await refresh()
    return send()
  }
  seed = async (t) => localStorage.setItem('bench', JSON.stringify({ access_token: t.accessToken, refresh_token: t.refreshToken, expires_at: t.expiresAt }))
}

let running = false
async function loop(): Promise<void> {
  while (running) {
    report.calls++
    try {
      const res = await call()
      if (res.ok) {
        report.ok++
        report.lastOkAt = Date.now()
      } else report.failed++
      await res.body?.cancel()
    } catch {
      report.failed++
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

Object.assign(window, {
  bench: {
    seed: (tokens: OAuthTokens) => seed(tokens),
    start: () => void ((running = true), loop()),
    stop: () => void (running = false),
    report: () => report,
  },
})
document.title = 'ready'
