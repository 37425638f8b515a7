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
type Hook = () => unknown | Promise<unknown>
/** The beforeEach/afterEach hooks of each describe block that encloses the current one. */
const hooks: { before: Hook[]; after: Hook[] }[] = [{ before: [], after: [] }]

export function describe(name: string, fn: () => void): void {
  prefix.push(name)
  hooks.push({ before: [], after: [] })
  try {
    fn()
  } finally {
    prefix.pop()
    hooks.pop()
  }
}

export const beforeEach = (fn: Hook): void => void hooks.at(-1)!.before.push(fn)
export const afterEach = (fn: Hook): void => void hooks.at(-1)!.after.push(fn)

function format(template: string, args: unknown[]): string {
  let i = 0
  return template.replace(/%[sjdi]/g, (spec) => {
    const value = args[i++]
    return spec === '%j' ? JSON.stringify(value) : String(value)
  })
}

function register(name: string, fn: TestFn): void {
  const before = hooks.flatMap((h) => h.before)
  const after = hooks.flatMap((h) => h.after).reverse()
  cases.push({
    name: [...prefix, name].join(' > '),
    fn: async () => {
      for (const hook of before) await hook()
      try {
        await fn()
      } finally {
        for (const hook of after) await hook()
      }
    },
  })
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
