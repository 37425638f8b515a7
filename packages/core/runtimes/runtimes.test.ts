// The same core test suite, run in every runtime @oauth/core promises to support.
// Each runtime must pass exactly as many tests as Node 20 does in-process, so a
// runtime that silently ran fewer tests (or none) fails here.
import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCoreTestBundle } from './build-bundle.js'
import type { RunResult } from './vitest-shim.js'

const run = promisify(execFile)
// The runtimes live in @oauth/test-runtimes, kept apart so their `node` never shadows the real one.
const require = createRequire(new URL('../../test-runtimes/package.json', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'oauth-core-runtimes-'))
const bundle = join(dir, 'core-tests.mjs')
const cli = join(dir, 'cli.mjs')
let baseline: RunResult

function binary(pkg: string, path: string): string {
  return join(require.resolve(`${pkg}/package.json`), '..', path)
}

async function runCli(command: string, args: string[]): Promise<RunResult> {
  const { stdout } = await run(command, [...args, cli], { cwd: dir, timeout: 120_000, maxBuffer: 16 << 20 })
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as RunResult
}

function expectSameSuite(result: RunResult) {
  expect(result.failures).toEqual([])
  expect(result.failed).toBe(0)
  expect(result.passed).toBe(baseline.passed)
}

beforeAll(async () => {
  await buildCoreTestBundle(bundle)
  writeFileSync(
    cli,
    `import { run } from './core-tests.mjs'\nconst r = await run(globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node ' + process.version)\nconsole.log(JSON.stringify(r))\n`,
  )
  baseline = await (await import(/* @vite-ignore */ bundle)).run('node (vitest worker)')
}, 60_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the core test suite', () => {
  it('passes in the Node that runs the tests (the bundle, in-process)', () => {
    expect(baseline.failures).toEqual([])
    expect(baseline.passed).toBeGreaterThanOrEqual(70)
  })

  it.each([
    ['Node 22', 'node22', 'v22.'],
    ['Node 24', 'node24', 'v24.'],
  ])('passes in %s', async (_, pkg, version) => {
    const node = binary(pkg, 'bin/node')
    expect((await run(node, ['--version'])).stdout).toContain(version)
    const result = await runCli(node, [])
    expect(result.runtime).toContain(version)
    expectSameSuite(result)
  }, 120_000)

  it('passes in Bun', async () => {
    const result = await runCli(binary('@oven/bun-linux-x64', 'bin/bun'), ['run'])
    expect(result.runtime).toBe('bun')
    expectSameSuite(result)
  }, 120_000)

  it('passes in Deno', async () => {
    // --allow-env only for the harness: @vitest/utils reads FORCE_TTY to pick colours.
    const result = await runCli(binary('@deno/linux-x64-glibc', 'deno'), ['run', '--no-prompt', '--no-config', '--allow-env'])
    expect(result.runtime).toBe('deno')
    expectSameSuite(result)
  }, 120_000)

  it('passes in workerd (miniflare), inside a fetch handler', async () => {
    const { Miniflare } = await import('miniflare')
    // Random values and crypto.subtle are not allowed at a worker's global scope: run in fetch().
    const worker = `${readFileSync(bundle, 'utf8')}\nexport default { async fetch() { return Response.json(await run('workerd')) } }\n`
    const mf = new Miniflare({ modules: true, script: worker, compatibilityDate: '2024-09-23' })
    try {
      const res = await mf.dispatchFetch('http://localhost/')
      expectSameSuite((await res.json()) as RunResult)
    } finally {
      await mf.dispose()
    }
  }, 120_000)

  it('passes in headless Chromium', async () => {
    const executablePath = '/usr/bin/chromium'
    if (!existsSync(executablePath)) throw new Error('Chromium is missing: apt-get install -y chromium')
    const { chromium } = await import('playwright-core')
    // Served from 127.0.0.1, a secure context, so crypto.subtle exists as it does on https.
    const server: Server = createServer((req, res) => {
      if (req.url === '/core-tests.mjs') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(bundle))
      } else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>core tests</title>')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    const browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    try {
      const page = await browser.newPage()
      await page.goto(`http://127.0.0.1:${port}/`)
      // A string, not a function: vitest would rewrite import() inside a function.
      const result = (await page.evaluate(`import('/core-tests.mjs').then((m) => m.run(navigator.userAgent))`)) as RunResult
      expect(result.runtime).toContain('Chrome')
      expectSameSuite(result)
    } finally {
      await browser.close()
      server.close()
    }
  }, 120_000)
})
