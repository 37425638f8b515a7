// The official MCP conformance suite (@modelcontextprotocol/conformance, on the npm registry)
// runs every client scenario (initialize, tools, elicitation, SSE retry, and every auth
// scenario, draft and extension included) against src/client.ts, our client on @oauth/mcp.
// The suite starts its own MCP and authorization servers on localhost, runs the client with the
// server URL as its last argument, and checks what it did. It needs Node 22 or later: it runs on
// the Node 22 that @oauth/test-runtimes installs; the client runs on the Node running this test.
//
// The same suite runs once more against src/sdk-example-client.ts, a client written the way the
// SDK's own examples write one: the control, recorded, not judged.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleNodeScript } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const exampleDir = fileURLToPath(new URL('..', import.meta.url))
const root = join(exampleDir, '../..')
const node22 = join(dirname(createRequire(join(root, 'packages/test-runtimes/package.json')).resolve('node22/package.json')), 'bin/node')
const suite = join(dirname(createRequire(join(exampleDir, 'package.json')).resolve('@modelcontextprotocol/conformance/package.json')), 'dist/index.js')
const out = mkdtempSync(join(tmpdir(), 'mcp-conformance-'))

interface SuiteResult {
  scenarios: { name: string; passed: number; failed: number }[]
  output: string
}

/** Runs the whole client suite against one client program; the summary lines it prints, parsed. */
function runSuite(client: string, name: string): Promise<SuiteResult> {
  const args = [suite, 'client', '--command', `${process.execPath} ${client}`, '--suite', 'all', '-o', join(out, name)]
  return new Promise((resolve) => {
    // The suite exits 1 when a scenario fails: that is a result here, not an error.
    execFile(node22, args, { cwd: out, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (_err, stdout, stderr) => {
      const output = `${stdout}\n${stderr}`
      const summary = output.slice(output.indexOf('=== SUITE SUMMARY ==='))
      const scenarios = [...summary.matchAll(/^[✓✗] (\S+): (\d+) passed, (\d+) failed/gmu)].map((m) => ({ name: m[1]!, passed: Number(m[2]), failed: Number(m[3]) }))
      resolve({ scenarios, output })
    })
  })
}

/** The client scenarios the suite lists (`conformance list`). */
function listed(): Promise<string[]> {
  return new Promise((resolve, reject) =>
    execFile(node22, [suite, 'list'], (err, stdout) => {
      if (err) return reject(err)
      resolve([...stdout.slice(stdout.indexOf('Client scenarios')).matchAll(/^\s+- (\S+) \[/gm)].map((m) => m[1]!))
    }),
  )
}

let ours: string
let control: string
beforeAll(async () => {
  ours = await bundleNodeScript(join(exampleDir, 'src/client.ts'), exampleDir)
  control = await bundleNodeScript(join(exampleDir, 'src/sdk-example-client.ts'), exampleDir)
}, 60_000)
afterAll(() => rmSync(out, { recursive: true, force: true }))

const figure = (r: SuiteResult) => `${r.scenarios.filter((s) => s.failed === 0).length}/${r.scenarios.length} scenarios passed`

describe('the MCP conformance suite, every client scenario', () => {
  it('passes every scenario with the client on @oauth/mcp', async () => {
    const [result, scenarios] = await Promise.all([runSuite(ours, 'ours'), listed()])
    console.log(`conformance 0.1.16, @oauth/mcp client: ${figure(result)}`)
    // The suite ran every scenario it lists (auth, draft and extension ones included)…
    expect(result.scenarios.map((s) => s.name).sort()).toEqual([...scenarios].sort())
    expect(scenarios.filter((s) => s.startsWith('auth/')).length).toBeGreaterThanOrEqual(22)
    // …and every one passed, each with checks that ran.
    expect(result.scenarios.filter((s) => s.failed > 0 || s.passed === 0), result.output.slice(-4000)).toEqual([])
  }, 300_000)

  it('records the figure of a client written as the SDK examples write one (the control)', async () => {
    const result = await runSuite(control, 'sdk-example')
    const failing = result.scenarios.filter((s) => s.failed > 0).map((s) => s.name)
    console.log(`conformance 0.1.16, SDK-example client: ${figure(result)}; failing: ${failing.join(', ') || 'none'}`)
    // A figure, not a judgement of the SDK: only that the suite ran it through.
    expect(result.scenarios.length).toBeGreaterThan(20)
  }, 300_000)
})
