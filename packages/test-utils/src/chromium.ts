// Debian's Chromium (never a downloaded browser), driven by playwright-core, with the flags that
// keep it quiet and offline: no sandbox (CI runs as root), no GPU, no first-run or update traffic.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { chromium, type BrowserContext } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

/** A persistent context on a fresh profile directory (one origin's IndexedDB is shared by its tabs, as in a real browser). */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error('Chromium is missing: apt-get install -y chromium')
  const profile = mkdtempSync(join(tmpdir(), 'oauth-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined)
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** Serves fixed files on 127.0.0.1 (a secure context, as https is): path → [content type, body]. */
export async function serveFiles(files: Record<string, [string, string | Uint8Array | (() => string | Uint8Array)]>): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname]
    if (!file) return void res.writeHead(404).end()
    const body = typeof file[1] === 'function' ? file[1]() : file[1]
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    // The browser keeps idle connections open: without closing them, close() waits out its keep-alive.
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** Bundles one module for a page (ESM, the workspace packages from source); what a test or benchmark serves as its script. */
export async function bundleForBrowser(entry: string): Promise<Uint8Array> {
  const result = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', conditions: ['@oauth/source'], write: false, logLevel: 'error' })
  return result.outputFiles[0]!.contents
}
