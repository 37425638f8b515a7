#!/usr/bin/env node
// `pnpm test`: make sure the servers the tests run are installed (scripts/provision.mjs),
// build every package (the packaging and size tests read dist/), typecheck, then run every
// test in one vitest run on each supported Node release: the machine's Node, then Node 22
// and 24 from @oauth/test-runtimes. It ends with one line CI can read, "N passed, N failed",
// summed from vitest's JSON reports, so a run that executed no test shows as "0 passed".
//
//   pnpm test                      everything, on every Node; then the client's tests against the
//                                  lowest @anthropic-ai/sdk and @modelcontextprotocol/sdk of the peer ranges
//   OAUTH_TEST_NODES=current pnpm test -- packages/http   only the machine's Node (while developing)
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { provision } from './provision.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
process.env.TURBO_TELEMETRY_DISABLED = '1'
const run = (cmd, args, env = process.env) => spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env }).status ?? 1
const firstLine = (text) => (text ?? '').replace(/\x1b\[[0-9;]*m/g, '').split('\n').find((line) => line.trim())?.trim().slice(0, 300) ?? ''
const fail = (why) => {
  console.log(`0 passed, 1 failed (${why})`)
  process.exit(1)
}

if (!provision()) fail('system packages are missing; see above')
if (run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']) !== 0) fail('the build failed')
if (run('pnpm', ['run', 'typecheck']) !== 0) fail('type errors')

// The Node binaries come from npm packages kept in @oauth/test-runtimes (no scripts there,
// so they never shadow the machine's Node for pnpm).
const runtimes = createRequire(join(root, 'packages/test-runtimes/package.json'))
const nodes = [process.execPath]
if (process.env.OAUTH_TEST_NODES !== 'current') {
  for (const pkg of ['node22', 'node24']) nodes.push(join(dirname(runtimes.resolve(`${pkg}/package.json`)), 'bin/node'))
}

const vitest = join(root, 'node_modules/vitest/vitest.mjs')
let passed = 0
let failed = 0
let skipped = 0
let exitCode = 0
// CI shows only the tail of the output, so the failures are named again at the end.
const failures = []
// Each Node runs the whole suite (with the newest @anthropic-ai/sdk, the locked one); then the
// client's and the MCP package's tests run once more against the lowest SDKs of their peer ranges.
const passes = nodes.map((node) => ({ node, label: '', args: process.argv.slice(2), extraEnv: {} }))
if (!process.argv.slice(2).length) passes.push({ node: process.execPath, label: ' with the lowest @anthropic-ai/sdk and @modelcontextprotocol/sdk of the peer ranges', args: ['--project', 'client', '--project', 'mcp'], extraEnv: { OAUTH_SDK: 'lowest' } })
for (const { node, label, args, extraEnv } of passes) {
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()
  const report = `.reports/vitest-${version}${label ? '-sdk-lowest' : ''}.json`
  rmSync(join(root, report), { force: true })
  console.log(`\n=== ${label ? 'The client and @oauth/mcp' : 'The whole suite'} on Node ${version}${label} ===\n`)
  // Its directory goes first on PATH, so that tests spawning `node` get the same release.
  const env = { ...process.env, ...extraEnv, PATH: `${dirname(node)}${delimiter}${process.env.PATH}`, OAUTH_VITEST_REPORT: report }
  const status = run(node, [vitest, 'run', ...args], env)
  if (!existsSync(join(root, report))) {
    console.log(`Node ${version}: vitest wrote no report`)
    failed++
    exitCode = 1
    continue
  }
  const r = JSON.parse(readFileSync(join(root, report), 'utf8'))
  const f = r.numFailedTests + (r.numFailedTestSuites && !r.numFailedTests ? r.numFailedTestSuites : 0)
  console.log(`Node ${version}${label}: ${r.numPassedTests} passed, ${f} failed`)
  for (const file of r.testResults ?? []) {
    const where = file.name.startsWith(root) ? file.name.slice(root.length) : file.name
    const tests = (file.assertionResults ?? []).filter((t) => t.status === 'failed')
    for (const t of tests) failures.push(`Node ${version}${label} ${where} > ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`)
    if (!tests.length && file.status === 'failed') failures.push(`Node ${version}${label} ${where}: ${firstLine(file.message)}`)
  }
  passed += r.numPassedTests
  failed += f
  skipped += r.numPendingTests + r.numTodoTests
  if (status !== 0 || f > 0) exitCode = 1
}
if (failures.length) console.log(`\nFailed:\n${failures.map((f) => `- ${f}`).join('\n')}\n`)
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(exitCode)
