// pnpm bench [--quick] [--out <file>]: every benchmark, one machine, one go.
// Writes bench/RESULTS.md (or --out). Nothing here asserts a time.
import { writeFileSync } from 'node:fs'
import { cpus, totalmem, type } from 'node:os'
import { fileURLToPath } from 'node:url'
import { benchCliToken } from './cli-token.js'
import { benchCoalescing } from './coalescing.js'
import { benchImportTime } from './import-time.js'
import { benchLockWait } from './lock-wait.js'
import { benchManyLogins } from './many-logins.js'
import { benchMcp } from './mcp.js'
import { benchOverhead } from './overhead.js'
import { benchPkce } from './pkce.js'
import { benchSizes } from './sizes.js'
import { benchTabs } from './tabs.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const outIndex = args.indexOf('--out')
const out = outIndex >= 0 ? args[outIndex + 1]! : fileURLToPath(new URL('../RESULTS.md', import.meta.url))
const onlyIndex = args.indexOf('--only')
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined

const sections: string[] = []
const started = performance.now()
for (const [name, run] of [
  ['PKCE', () => benchPkce(quick)],
  ['overhead', () => benchOverhead(quick)],
  ['coalescing', () => benchCoalescing(quick)],
  ['sizes', () => benchSizes()],
  ['import time', () => benchImportTime(quick)],
  ['cli token', () => benchCliToken(quick)],
  ['lock wait', () => benchLockWait(quick)],
  ['tabs', () => benchTabs(quick)],
  ['mcp', () => benchMcp(quick)],
  ['many logins', () => benchManyLogins(quick)],
] as const) {
  if (only && name !== only) continue
  console.error(`bench: ${name}…`)
  sections.push(await run())
}
const header = [
  '# Benchmark results',
  `Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${type()}. Node ${process.version}. ${new Date().toISOString().slice(0, 10)}.${quick ? ' **Quick run: short timings, not for comparison.**' : ''}`,
  'Every ratio compares implementations measured in this same run. On this 2-core machine, run-to-run noise in the timing tables is several percent: compare ratios, not single figures. Regenerate with `pnpm bench`.',
].join('\n\n')
writeFileSync(out, `${header}\n\n${sections.join('\n\n')}\n`)
console.error(`bench: wrote ${out} in ${Math.round((performance.now() - started) / 1000)} s`)
