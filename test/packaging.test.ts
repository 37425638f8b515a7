// Packaging tested as users get it: the tarball `pnpm pack` makes, checked by publint and arethetypeswrong, then installed in a scratch
// folder and loaded from both ESM and CJS.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const scratch = mkdtempSync(join(tmpdir(), 'oauth-packaging-'))

interface Pkg {
  dir: string
  name: string
  json: Record<string, any>
  tarball: string
}

const packages: Pkg[] = readdirSync(join(root, 'packages'))
  .map((dir) => ({ dir: join(root, 'packages', dir), json: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) }))
  .filter(({ json }) => !json.private)
  .map(({ dir, json }) => ({ dir, json, name: json.name as string, tarball: '' }))

beforeAll(() => {
  for (const pkg of packages) {
    if (!existsSync(join(pkg.dir, 'dist/index.js'))) throw new Error(`${pkg.name} is not built: run \`pnpm build\` first`)
    const out = execFileSync('pnpm', ['pack', '--pack-destination', scratch], { cwd: pkg.dir, encoding: 'utf8' })
    pkg.tarball = join(scratch, out.trim().split('\n').at(-1)!.split('/').at(-1)!)
  }
  // A scratch install: every @oauth tarball unpacked into node_modules, other
  // dependencies linked from the workspace (the registry is not the point here).
  const modules = join(scratch, 'app/node_modules')
  for (const pkg of packages) {
    const target = join(modules, pkg.name)
    mkdirSync(target, { recursive: true })
    execFileSync('tar', ['-xzf', pkg.tarball, '-C', target, '--strip-components=1'])
    for (const dep of Object.keys({ ...pkg.json.dependencies, ...pkg.json.peerDependencies })) {
      if (dep.startsWith('@oauth/') || existsSync(join(modules, dep))) continue
      // pnpm links each declared dependency into the package's own node_modules.
      const from = realpathSync(join(pkg.dir, 'node_modules', dep))
      mkdirSync(join(modules, dep, '..'), { recursive: true })
      symlinkSync(from, join(modules, dep), 'dir')
    }
  }
}, 120_000)

afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe.each(packages.map((p) => [p.name, p] as const))('%s', (name, pkg) => {
  it('passes publint (strict) as packed', async () => {
    const tarball = readFileSync(pkg.tarball)
    const { messages, pkg: packed } = await publint({ pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) }, strict: true })
    expect(messages.map((m) => formatMessage(m, packed))).toEqual([])
  })

  it('passes arethetypeswrong for every module resolution', async () => {
    const result = await checkPackage(createPackageFromTarballData(new Uint8Array(readFileSync(pkg.tarball))))
    // A package attw cannot analyse has no `problems` list at all: that is a failure too.
    expect(result.types).toMatchObject({ kind: 'included' })
    expect('problems' in result && result.problems).toEqual([])
  })

  // One exports block per manifest (#13): the one the workspace resolves is the one that ships.
  // Its `@oauth/source` condition (which only this repository's tools set) must name a file the
  // tarball holds, and must never shadow `import`/`require` for anyone else.
  it('ships one exports block whose every target is in the tarball: ESM, CJS and types for both', () => {
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', pkg.tarball, 'package/package.json'], { encoding: 'utf8' }))
    expect(manifest.publishConfig?.exports).toBeUndefined()
    const exp = manifest.exports['.']
    expect(Object.keys(exp)).toEqual(['@oauth/source', 'import', 'require'])
    const files = execFileSync('tar', ['-tzf', pkg.tarball], { encoding: 'utf8' })
    for (const f of [exp['@oauth/source'], exp.import.types, exp.import.default, exp.require.types, exp.require.default, './README.md']) {
      expect(files).toContain(`package/${f.replace(/^\.\//, '')}`)
    }
  })

  it('loads from ESM and from CJS with the same exports', () => {
    const app = join(scratch, 'app')
    const esm = execFileSync('node', ['--input-type=module', '-e', `const m = await import(${JSON.stringify(name)}); console.log(JSON.stringify(Object.keys(m).sort()))`], { cwd: app, encoding: 'utf8' })
    const cjs = execFileSync('node', ['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(name)})).sort()))`], { cwd: app, encoding: 'utf8' })
    expect(JSON.parse(esm).length).toBeGreaterThan(0)
    expect(JSON.parse(cjs)).toEqual(JSON.parse(esm))
  })

  it('has a README in the one template: Install, Example (one or more), Options, Errors, Limits, in that order', () => {
    const readme = readFileSync(join(pkg.dir, 'README.md'), 'utf8')
    const TEMPLATE = ['Install', 'Example', 'Options', 'Errors', 'Limits']
    // Other sections may come between; these five come in this order, Example perhaps more than once.
    const sections = [...readme.matchAll(/^## (\w+)/gm)].map((m) => m[1]!).filter((h) => TEMPLATE.includes(h))
    expect([...new Set(sections)]).toEqual(TEMPLATE)
    expect(sections.join(' ')).toMatch(/^Install (Example )+Options Errors Limits$/)
  })

  it('has a README that starts with what it is for and shows a runnable example', () => {
    const readme = readFileSync(join(pkg.dir, 'README.md'), 'utf8')
    expect(readme.startsWith(`# ${name}`)).toBe(true)
    expect(readme).toMatch(/```(ts|js|sh)/)
  })
})
