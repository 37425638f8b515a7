// Serves the page on 127.0.0.1, bundling src/app.ts for the browser with esbuild.
//   SPA_CONFIG=config.json PORT=5173 pnpm --filter @oauth/example-browser-spa start
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

export interface SpaServer {
  url: string
  /** The OAuth config the page reads (set once the server knows its own URL). */
  setConfig(config: Record<string, unknown>): void
  close(): Promise<void>
}

export async function startSpaServer(port = 0): Promise<SpaServer> {
  const app = await build({
    entryPoints: [fileURLToPath(new URL('./app.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@oauth/source'],
    minify: true,
    write: false,
    logLevel: 'error',
  })
  const html = readFileSync(fileURLToPath(new URL('./index.html', import.meta.url)))
  let config: Record<string, unknown> = {}
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/app.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(app.outputFiles[0]!.contents)
    if (path === '/config.json') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(config))
    if (path === '/' || path === '/index.html') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html)
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    setConfig: (next) => void (config = next),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const spa = await startSpaServer(Number(process.env.PORT ?? 5173))
  spa.setConfig(JSON.parse(readFileSync(process.env.SPA_CONFIG ?? 'config.json', 'utf8')))
  console.log(`open ${spa.url}`)
}
