// The storage conformance suite and the browser store's own tests, run inside real Chromium
// (Debian's, through playwright-core): once with Web Locks, once on a page where Web Locks was
// removed, so that the IndexedDB lease, the documented fallback, passes the same suite.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleForBrowser, launchChromium, serveFiles } from '@oauth/test-utils'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildTestBundle } from '../../../core/runtimes/build-bundle.js'
import type { RunResult } from '../../../core/runtimes/vitest-shim.js'

const dir = mkdtempSync(join(tmpdir(), 'oauth-storage-browser-'))
let chromium: Awaited<ReturnType<typeof launchChromium>>
let site: Awaited<ReturnType<typeof serveFiles>>

beforeAll(async () => {
  const bundle = join(dir, 'tests.mjs')
  await buildTestBundle([fileURLToPath(new URL('../in-browser.ts', import.meta.url))], bundle)
  site = await serveFiles({
    '/': ['text/html', '<!doctype html><title>store tests</title>'],
    '/tests.mjs': ['text/javascript', readFileSync(bundle)],
    '/cleared.html': ['text/html', '<!doctype html><script type="module" src="/cleared.js"></script>'],
    '/cleared.js': ['text/javascript', await bundleForBrowser(fileURLToPath(new URL('../fixtures/cleared.ts', import.meta.url)))],
  })
  chromium = await launchChromium()
}, 60_000)
afterAll(async () => {
  await chromium?.close()
  await site?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function runInPage(withoutWebLocks: boolean): Promise<RunResult> {
  const page = await chromium.context.newPage()
  try {
    await page.goto(`${site.origin}/`)
    if (withoutWebLocks) await page.evaluate(`Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined })`)
    // A string, not a function: vitest would rewrite import() inside a function.
    return (await page.evaluate(`import('/tests.mjs').then((m) => m.run(navigator.userAgent))`)) as RunResult
  } finally {
    await page.close()
  }
}

it('passes the conformance suite and its own tests in Chromium, with Web Locks', async () => {
  const result = await runInPage(false)
  expect(result.runtime).toContain('Chrome')
  expect(result.failures).toEqual([])
  // 12 conformance tests (lock, shared, corruptible) and 4 of its own.
  expect(result.passed).toBe(16)
}, 60_000)

it('passes them on the IndexedDB lease where Web Locks is missing, and a tab that lost its lease cannot save', async () => {
  const result = await runInPage(true)
  expect(result.failures).toEqual([])
  expect(result.passed).toBe(18)
}, 60_000)

it('keeps working after the user clears the site data (the browser closes its database): the login is gone, and a new one can be saved', async () => {
  const page = await chromium.context.newPage()
  try {
    await page.goto(`${site.origin}/cleared.html`)
    await page.waitForFunction('globalThis.store')
    const save = (accessToken: string) => page.evaluate(`store.save({ accessToken: '${accessToken}', tokenType: 'Bearer', scope: 'x' }).then(() => store.load()).then((t) => t.accessToken, (e) => e.code)`)
    expect(await save('before')).toBe('before')
    // What "Clear site data" does: the page's open IndexedDB connections are closed under it.
    const cdp = await chromium.context.newCDPSession(page)
    await cdp.send('Storage.clearDataForOrigin', { origin: site.origin, storageTypes: 'indexeddb' })
    expect(await page.evaluate('store.load().then((t) => t, (e) => e.code)')).toBeNull()
    expect(await save('after')).toBe('after')
  } finally {
    await page.close()
  }
}, 60_000)
