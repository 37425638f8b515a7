// End to end in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
// click "Sign in", log in, consent, come back, the page exchanges the code and shows the user.
import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startAuthorizationServer, type AuthorizationServer } from '@oauth/test-utils'
import { chromium, type Browser, type BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startSpaServer, type SpaServer } from '../src/serve.js'

const artifacts = fileURLToPath(new URL('../../../artifacts/', import.meta.url))
let spa: SpaServer
let oidc: AuthorizationServer
let browser: Browser
let context: BrowserContext

beforeAll(async () => {
  if (!existsSync('/usr/bin/chromium')) throw new Error('Chromium is missing: apt-get install -y chromium')
  spa = await startSpaServer()
  oidc = await startAuthorizationServer({
    accessTokenTtl: 60,
    pages: true,
    extraClients: [
      { client_id: 'spa', application_type: 'native', token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [spa.url] },
    ],
  })
  spa.setConfig({
    clientId: 'spa',
    authorizeUrl: oidc.config.authorizeUrl,
    tokenUrl: oidc.config.tokenUrl,
    redirectUri: spa.url,
    scopes: 'openid',
    userinfoUrl: `${oidc.issuer}/me`,
  })
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await oidc?.close()
  await spa?.close()
})

it('signs in through the pages of a real OAuth server and shows who is signed in', async () => {
  context = await browser.newContext()
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await page.goto(spa.url)
  await expect.poll(() => page.textContent('#status')).toBe('Not signed in.')
  await page.click('#sign-in')
  await page.waitForSelector('#login') // the server's sign-in page
  expect(page.url()).toContain(`${oidc.issuer}/interaction/`)
  await page.click('#login')
  await page.waitForSelector('#consent')
  await page.click('#consent')
  await page.waitForURL(`${spa.url}**`)
  await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toBe('Signed in as user-1.')
  expect(page.url()).toBe(spa.url) // the code is gone from the address bar
  expect(await page.isVisible('#sign-in')).toBe(false)
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0)
  expect(errors).toEqual([])
  expect(oidc.events.grants).toBe(1)
  mkdirSync(artifacts, { recursive: true })
  await page.screenshot({ path: `${artifacts}browser-spa.png` })
  console.log(`screenshot: ${artifacts}browser-spa.png`)
}, 60_000)

it('shares the login with a second tab, and signing out in one tab signs the other out at once', async () => {
  const [first] = context.pages()
  const second = await context.newPage()
  await second.goto(spa.url)
  await expect.poll(() => second.textContent('#status'), { timeout: 10_000 }).toBe('Signed in as user-1.')
  expect(oidc.events.grants).toBe(1) // no second login: the tab read the one in IndexedDB
  await second.click('#sign-out')
  await expect.poll(() => second.textContent('#status')).toBe('Not signed in.')
  await expect.poll(() => first!.textContent('#status'), { timeout: 2_000 }).toBe('Not signed in.')
  expect(await first!.isVisible('#sign-in')).toBe(true)
  await first!.reload()
  await expect.poll(() => first!.textContent('#status')).toBe('Not signed in.') // gone from the store too
}, 30_000)
