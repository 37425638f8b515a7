// The built package, as users load it: the ESM and the CJS build each make a real request,
// and the overrides (beta=true, betas, user agent, no x-api-key) must be in effect in both:
// a default import of the SDK silently drops every override in a CJS build.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startAnthropicStandIn, type AnthropicStandIn } from '@oauth/test-utils'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildAuthorizationUrl, DEFAULT_AUTHORIZE_URL, DEFAULT_CLIENT_ID, exchangeCodeForTokens } from '../src/index.js'

const run = promisify(execFile)
const packageDir = fileURLToPath(new URL('..', import.meta.url))
let standIn: AnthropicStandIn
beforeAll(async () => {
  standIn = await startAnthropicStandIn()
})
afterAll(() => standIn.close())

const program = (load: string) => `
${load}
const [baseURL, tokens, config] = process.argv.slice(-3)
const client = new AnthropicOAuth({ baseURL, oauthTokens: JSON.parse(tokens), oauthConfig: JSON.parse(config), maxRetries: 0 })
client.models.list().then((page) => console.log(page.data[0].id), (err) => { console.error(err); process.exit(1) })
`

it.each([
  ['ESM', ['--input-type=module', '-e', program(`import { AnthropicOAuth } from ${JSON.stringify(join(packageDir, 'dist/index.js'))}`)]],
  ['CJS', ['-e', program(`const { AnthropicOAuth } = require(${JSON.stringify(join(packageDir, 'dist/index.cjs'))})`)]],
])('the %s build keeps every override', async (_, args) => {
  if (!existsSync(join(packageDir, 'dist/index.cjs'))) throw new Error('@oauth/client is not built: run `pnpm test` (it builds first) or `pnpm build`')
  const { url, oauthState } = await buildAuthorizationUrl(standIn.config)
  const params = new URL(url).searchParams
  const tokens = await exchangeCodeForTokens(standIn.issueCode(params.get('code_challenge')!, oauthState.state), oauthState.state, oauthState, standIn.config)
  standIn.apiRequests.length = 0
  const { stdout } = await run(process.execPath, [...(args as string[]), standIn.url, JSON.stringify(tokens), JSON.stringify(standIn.config)], {
    cwd: packageDir,
    env: { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-api03-LEAK' },
  })
  expect(stdout.trim()).toBe('claude-test')
  const [req] = standIn.apiRequests
  expect(req!.query.beta).toBe('true')
  expect(req!.headers.authorization).toBe(`Bearer ${tokens.accessToken}`)
  expect(req!.headers['x-api-key']).toBeUndefined()
  expect(req!.headers['user-agent']).toBe('claude-cli/2.1.2 (external, cli)')
  expect(String(req!.headers['anthropic-beta'])).toContain('claude-code-20250219')
}, 30_000)

// esbuild's CJS output copies the star re-exports after the package's own exports: the client's
// buildAuthorizationUrl (with the preset) must win over core's (without one) in both builds.
const noConfig = (load: string) => `${load}\nbuildAuthorizationUrl().then((r) => console.log(r.url), (err) => { console.error(err); process.exit(1) })`

it.each([
  ['ESM', ['--input-type=module', '-e', noConfig(`import { buildAuthorizationUrl } from ${JSON.stringify(join(packageDir, 'dist/index.js'))}`)]],
  ['CJS', ['-e', noConfig(`const { buildAuthorizationUrl } = require(${JSON.stringify(join(packageDir, 'dist/index.cjs'))})`)]],
])('the %s build starts a subscription login without a config, as the plan does', async (_, args) => {
  const { stdout } = await run(process.execPath, args as string[], { cwd: packageDir })
  const url = new URL(stdout.trim())
  expect(url.origin + url.pathname).toBe(DEFAULT_AUTHORIZE_URL)
  expect(url.searchParams.get('client_id')).toBe(DEFAULT_CLIENT_ID)
})
