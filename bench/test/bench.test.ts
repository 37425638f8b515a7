// CI checks only that the benchmarks run (quick mode) and report every section; no time is asserted.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))

it('the benchmarks run in quick mode (pnpm bench --quick) and write the report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-bench-report-'))
  try {
    const out = join(dir, 'RESULTS.md')
    // `pnpm bench` builds first; `pnpm test` already has, and a rebuild would rewrite dist/
    // under the other tests' feet. So the runner is started directly.
    await promisify(execFile)('pnpm', ['--filter', '@oauth/bench', 'start', '--quick', '--out', out], { cwd: root, timeout: 240_000 })
    const report = readFileSync(out, 'utf8')
    for (const section of ['## 1. PKCE', '## 2. Per-request overhead', '## 3. Refresh coalescing', '## 4. Sizes', '## 5. Cold import time', '## 7. Waiting for another process', '## 8. Eight tabs sharing one login']) expect(report).toContain(section)
    expect(report).toContain('plain SDK, shared `user_oauth` profile')
    expect(report).not.toMatch(/NaN/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 300_000)
