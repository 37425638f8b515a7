// `anthropic-oauth token` is run once per request by scripts and credential helpers: with a
// valid stored token it must not load the Anthropic SDK, @oauth/http (and oauth4webapi) or the
// keychain binding. Checked on the built command, as users run it, with a module-resolution
// hook that records every module the process loads. (Its speed is measured in bench/.)
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, expect, it } from 'vitest'

const run = promisify(execFile)
const bin = fileURLToPath(new URL('../bin/anthropic-oauth.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'oauth-cli-fast-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const HEAVY = /@anthropic-ai\/sdk|oauth4webapi|\/http\/dist\/|@napi-rs\/keyring|storage-keychain/

async function loadedModules(expiresInSeconds: number): Promise<{ stdout: string; modules: string[] }> {
  const log = join(dir, `loaded-${expiresInSeconds}.log`)
  writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs'\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r }\n`)
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module'\nregister('./hooks.mjs', import.meta.url)\n`)
  const path = join(dir, `tokens-${expiresInSeconds}.json`)
  const expiresAt = Math.floor(Date.now() / 1000) + expiresInSeconds
  writeFileSync(path, JSON.stringify({ access_token: 'sk-ant-oat01-fast', refresh_token: 'sk-ant-ort01-fast', expires_at: expiresAt, token_type: 'Bearer', scope: '' }), { mode: 0o600 })
  // A server nobody listens at: a refresh fails once @oauth/http is loaded, which the hook must see.
  const config = join(dir, 'dead-server.json')
  writeFileSync(config, JSON.stringify({ clientId: 'c', authorizeUrl: 'http://127.0.0.1:9/auth', tokenUrl: 'http://127.0.0.1:9/token', redirectUri: 'http://127.0.0.1/callback' }))
  const result = await run(process.execPath, ['--import', join(dir, 'register.mjs'), bin, 'token', '--path', path, '--config', config]).catch((err) => err)
  return { stdout: result.stdout, modules: readFileSync(log, 'utf8').trim().split('\n') }
}

it('prints a valid stored token without loading the SDK, @oauth/http or the keychain binding', async () => {
  const { stdout, modules } = await loadedModules(3600)
  expect(stdout).toBe('sk-ant-oat01-fast\n')
  expect(modules.some((m) => m.includes('/storage-file/'))).toBe(true) // the hook saw the store load
  expect(modules.filter((m) => HEAVY.test(m))).toEqual([])
})

it('loads @oauth/http when the token is expiring and must be refreshed', async () => {
  // The server is down, so the refresh fails after http is loaded; the token, valid for 60 s more, is printed.
  const { stdout, modules } = await loadedModules(60)
  expect(stdout).toBe('sk-ant-oat01-fast\n')
  expect(modules.some((m) => /\/http\/dist\//.test(m))).toBe(true)
})
