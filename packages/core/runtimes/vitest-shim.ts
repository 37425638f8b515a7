// Stands in for `vitest` when core's test files are bundled for other runtimes
// (Node 22/24, Bun, Deno, workerd, Chromium). It collects describe/it and takes
// `expect` from @vitest/expect, the matcher implementation vitest itself uses,
// so the very same test files run everywhere.
import { ASYMMETRIC_MATCHERS_OBJECT, JestAsymmetricMatchers, JestChaiExpect, JestExtend } from '@vitest/expect'
import * as chai from 'chai'

chai.use(JestExtend)
chai.use(JestChaiExpect)
chai.use(JestAsymmetricMatchers)

type TestFn = () => unknown | Promise<unknown>
interface Case {
  name: string
  fn: TestFn
}

const cases: Case[] = []
const prefix: string[] = []

export function describe(name: string, fn: () => void): void {
  prefix.push(name)
  try {
    fn()
  } finally {
    prefix.pop()
  }
}

function format(template: string, args: unknown[]): string {
  let i = 0
  return template.replace(/%[sjdi]/g, (spec) => {
    const value = args[i++]
    return spec === '%j' ? JSON.stringify(value) : String(value)
  })
}

function register(name: string, fn: TestFn): void {
  cases.push({ name: [...prefix, name].join(' > '), fn })
}

export const it = Object.assign(register, {
  each:
    (table: unknown[][]) =>
    (name: string, fn: (...args: any[]) => unknown) => {
      for (const row of table) {
        const args = Array.isArray(row) ? row : [row]
        register(format(name, args), () => fn(...args))
      }
    },
})

export const expect = Object.assign(
  (value: unknown, message?: string) => chai.expect(value, message),
  chai.expect,
  (globalThis as any)[ASYMMETRIC_MATCHERS_OBJECT],
) as unknown as typeof import('vitest').expect

export interface RunResult {
  runtime: string
  passed: number
  failed: number
  failures: { name: string; error: string }[]
}

/** Runs every collected test in order. */
export async function run(runtime: string): Promise<RunResult> {
  const result: RunResult = { runtime, passed: 0, failed: 0, failures: [] }
  for (const c of cases) {
    try {
      await c.fn()
      result.passed++
    } catch (err) {
      result.failed++
      result.failures.push({ name: c.name, error: String((err as Error)?.stack ?? err).slice(0, 2000) })
    }
  }
  return result
}
