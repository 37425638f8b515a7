#!/usr/bin/env node
// `pnpm test`: build every package (the packaging and size tests read dist/),
// run every test in one vitest run, and end with one line CI can read:
// "N passed, N failed" (summed from vitest's JSON report, so a run that
// executed no test shows as "0 passed").
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'

process.env.TURBO_TELEMETRY_DISABLED = '1'
const report = '.reports/vitest.json'
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1

if (run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']) !== 0) {
  console.log('0 passed, 1 failed (the build failed)')
  process.exit(1)
}
if (run('pnpm', ['run', 'typecheck']) !== 0) {
  console.log('0 passed, 1 failed (type errors)')
  process.exit(1)
}
rmSync(report, { force: true })
const status = run('pnpm', ['exec', 'vitest', 'run', ...process.argv.slice(2)])
if (!existsSync(report)) {
  console.log('0 passed, 1 failed (vitest wrote no report)')
  process.exit(1)
}
const r = JSON.parse(readFileSync(report, 'utf8'))
const failed = r.numFailedTests + (r.numFailedTestSuites && !r.numFailedTests ? r.numFailedTestSuites : 0)
const skipped = r.numPendingTests + r.numTodoTests
console.log(`${r.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(status !== 0 || failed > 0 ? 1 : 0)
