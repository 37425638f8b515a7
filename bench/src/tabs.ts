// 8. Eight browser tabs sharing one login, in Debian's Chromium, against oidc-provider with
// refresh-token rotation (a reused refresh token revokes the login) and 2-second access tokens.
// Ours: @oauth/storage-browser (IndexedDB, a Web Lock, BroadcastChannel) with the token manager.
// The peer: tokens in localStorage and every tab refreshing on its own, as a hand-rolled SPA does.
import { fileURLToPath } from 'node:url'
import { buildAuthorizationUrl, parseAuthCode } from '@oauth/core'
import { exchangeCodeForTokens } from '@oauth/http'
import { bundleForBrowser, launchChromium, serveFiles, startAuthorizationServer } from '@oauth/test-utils'
import { table } from './stats.js'

const TABS = 8
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
interface TabReport {
  calls: number
  ok: number
  failed: number
  tokenRequests: number
  lastOkAt: number
}

async function measure(client: 'ours' | 'naive', seconds: number, chromium: Awaited<ReturnType<typeof launchChromium>>, tab: Uint8Array): Promise<(string | number)[]> {
  let config: Record<string, unknown> = {}
  const site = await serveFiles({
    '/': ['text/html', '<!doctype html><title>loading</title><script type="module" src="/tab.js"></script>'],
    '/tab.js': ['text/javascript', tab],
    '/config.json': ['application/json', () => JSON.stringify(config)],
  })
  const oidc = await startAuthorizationServer({
    accessTokenTtl: 2,
    extraClients: [{ client_id: 'bench', application_type: 'native', token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [`${site.origin}/`] }],
  })
  try {
    const oauth = { ...oidc.config, clientId: 'bench', redirectUri: `${site.origin}/` }
    config = { ...oauth, userinfoUrl: `${oidc.issuer}/me` }
    const { url, oauthState } = await buildAuthorizationUrl(oauth)
    const { code, state } = parseAuthCode(await oidc.authorize(url))
    const tokens = await exchangeCodeForTokens(code, state, oauthState, oauth)
    const pages = []
    for (let i = 0; i < TABS; i++) {
      const page = await chromium.context.newPage()
      await page.goto(`${site.origin}/?client=${client}`)
      await page.waitForFunction('document.title === "ready"')
      pages.push(page)
    }
    await pages[0]!.evaluate((t) => (window as never as { bench: { seed(t: unknown): Promise<void> } }).bench.seed(t), tokens)
    const started = Date.now()
    for (const page of pages) await page.evaluate('bench.start()')
    await sleep(seconds * 1000)
    for (const page of pages) await page.evaluate('bench.stop()')
    const reports = (await Promise.all(pages.map((p) => p.evaluate('bench.report()')))) as TabReport[]
    for (const page of pages) await page.close()
    const sum = (f: (r: TabReport) => number) => reports.reduce((n, r) => n + f(r), 0)
    const lastOk = Math.max(...reports.map((r) => r.lastOkAt))
    return [
      client === 'ours' ? '@oauth/storage-browser + TokenManager' : 'localStorage, every tab refreshes',
      sum((r) => r.tokenRequests),
      oidc.events.refreshGrants,
      oidc.events.errors.filter((e) => e === 'invalid_grant').length,
      sum((r) => r.ok),
      sum((r) => r.failed),
      lastOk >= started + seconds * 1000 - 2_000 ? `all ${seconds} s` : `${(Math.max(0, lastOk - started) / 1000).toFixed(1)} s`,
    ]
  } finally {
    await oidc.close()
    await site.close()
  }
}

export async function benchTabs(quick: boolean): Promise<string> {
  const seconds = quick ? 5 : 30
  const tab = await bundleForBrowser(fileURLToPath(new URL('./browser/tab.ts', import.meta.url)))
  const rows = []
  for (const client of ['ours', 'naive'] as const) {
    // A fresh browser profile per client: nothing left over in IndexedDB or localStorage.
    const chromium = await launchChromium()
    try {
      rows.push(await measure(client, seconds, chromium, tab))
    } finally {
      await chromium.close()
    }
  }
  return [
    '## 8. Eight tabs sharing one login',
    `${TABS} tabs of one origin in Debian's Chromium, each calling the server's userinfo endpoint in a loop (25 ms apart) for ${seconds} s, against oidc-provider with refresh-token rotation (reusing a rotated refresh token revokes the login) and 2-second access tokens. The peer keeps the tokens in \`localStorage\` and lets every tab refresh when its token is expiring or refused, as hand-rolled SPAs do.`,
    table(['client', 'token requests sent', 'refreshes granted', 'invalid_grant', 'calls served', 'calls failed', 'logged in for'], rows),
  ].join('\n\n')
}
