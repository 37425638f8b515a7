import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

it('keeps every bundle within its size-limit budget', () => {
  const budgets = JSON.parse(readFileSync(`${root}.size-limit.json`, 'utf8')) as { name: string }[]
  let out: string
  try {
    out = execFileSync('pnpm', ['exec', 'size-limit', '--json'], { cwd: root, encoding: 'utf8' })
  } catch (err) {
    // size-limit exits non-zero when a budget is exceeded; its JSON still says which.
    out = (err as { stdout: string }).stdout
  }
  const results = JSON.parse(out.slice(out.indexOf('['))) as { name: string; passed: boolean; size: number }[]
  expect(results.map((r) => r.name)).toEqual(budgets.map((b) => b.name))
  for (const r of results) expect({ name: r.name, size: r.size, passed: r.passed }).toEqual({ name: r.name, size: r.size, passed: true })
}, 120_000)
