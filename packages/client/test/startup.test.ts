// Importing @oauth/client must not load undici: it cost every program ~150 ms at startup, proxy
// or not (#27, timed in bench/). undici is loaded on the first request through a proxy only.
// Checked on the built package, with a module-resolution hook that records every module loaded.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, expect, it } from 'vitest'

const run = promisify(execFile)
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'oauth-client-startup-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function loaded(name: string, program: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; modules: string[] }> {
  const log = join(dir, `${name}.log`)
  writeFileSync(join(dir, `${name}-hooks.mjs`), `import { appendFileSync } from 'node:fs'\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r }\n`)
  writeFileSync(join(dir, `${name}-register.mjs`), `import { register } from 'node:module'\nregister('./${name}-hooks.mjs', import.meta.url)\n`)
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(https?|no)_proxy$/i.test(key)))
  const { stdout } = await run(process.execPath, ['--import', join(dir, `${name}-register.mjs`), '--input-type=module', '-e', program], { cwd: packageDir, env: { ...clean, ...env } })
  return { stdout, modules: readFileSync(log, 'utf8').trim().split('\n') }
}

const client = JSON.stringify(join(packageDir, 'dist/index.js'))

it('loads the SDK but not undici on import, and makes a request without it when no proxy is set', async () => {
  const { modules } = await loaded('plain', `const { AnthropicOAuth, proxyFetch } = await import(${client}); new AnthropicOAuth({ oauthTokens: { accessToken: 'a', tokenType: 'Bearer', scope: '' } }); proxyFetch()`, {})
  expect(modules.some((m) => m.includes('@anthropic-ai/sdk'))).toBe(true) // the hook saw the imports
  expect(modules.filter((m) => m.includes('/undici/'))).toEqual([])
})

it('loads undici on the first request through a proxy', async () => {
  // A proxy nobody listens at: the request fails, after undici is loaded to send it.
  const program = `const { proxyFetch } = await import(${client}); const f = proxyFetch(); await f('http://example.invalid/').then(() => console.log('sent'), (err) => console.log('failed', err.cause?.code ?? err.code))`
  const { stdout, modules } = await loaded('proxy', program, { HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9' })
  expect(stdout).toMatch(/^failed /)
  expect(modules.some((m) => m.includes('/undici/'))).toBe(true)
})
