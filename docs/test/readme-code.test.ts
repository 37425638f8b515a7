// Every ```ts block in every README is compiled against the real packages (their source,
// through the @oauth/source condition). A renamed export or a changed signature fails here.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { workspaceDirs } from '../../scripts/workspace.mjs'

const docsDir = fileURLToPath(new URL('..', import.meta.url))
const root = join(docsDir, '..')
const out = join(docsDir, '.test-build', 'blocks')

function readmes(): string[] {
  return [join(root, 'README.md'), ...workspaceDirs().map((dir) => join(root, dir, 'README.md')).filter((readme) => existsSync(readme))]
}

/** Compiles every `.ts` module in `dir` against the real packages; returns the compiler's errors ('' for none). */
function compileModules(dir: string): string {
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../../tsconfig.base.json',
      compilerOptions: { types: ['node'], lib: ['ES2022', 'DOM', 'DOM.Iterable'], noUnusedLocals: false, module: 'ESNext', target: 'ES2022' },
      include: ['*.ts'],
    }),
  )
  try {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], { cwd: docsDir, encoding: 'utf8' })
    return ''
  } catch (err) {
    return (err as { stdout: string }).stdout
  }
}

it('compiles every TypeScript block of every README', () => {
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  const blocks: { file: string; source: string }[] = []
  for (const readme of readmes()) {
    const text = readFileSync(readme, 'utf8')
    let n = 0
    for (const match of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
      const name = `${relative(root, readme).replace(/[/.]/g, '_')}_${++n}.ts`
      // Each block is a module of its own (top-level await allowed).
      writeFileSync(join(out, name), `${match[1]}\nexport {}\n`)
      blocks.push({ file: name, source: relative(root, readme) })
    }
  }
  expect(blocks.length).toBeGreaterThanOrEqual(13)
  expect(new Set(blocks.map((b) => b.source)).size).toBeGreaterThanOrEqual(9)
  expect(compileModules(out)).toBe('')
}, 120_000)

/**
 * Names the doc examples use without defining them (an example shows one call, not a program),
 * declared for the compiler with the type each stands for. A name an example defines itself is
 * not declared again.
 */
const GIVEN: Record<string, string> = {
  config: "import('@oauth/core').OAuthConfig",
  tokens: "import('@oauth/core').OAuthTokens",
  savedTokens: "import('@oauth/core').OAuthTokens",
  store: "import('@oauth/core').TokenStore",
  tokenStorage: "import('@oauth/core').TokenStore",
  manager: "import('@oauth/http').TokenManager",
  pastedByTheUser: 'string',
  rt: 'string',
  accessToken: 'string',
  env: 'Record<string, string | undefined>',
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f))
}

it('compiles every TSDoc @example in the sources', () => {
  const exampleOut = join(docsDir, '.test-build', 'examples')
  rmSync(exampleOut, { recursive: true, force: true })
  mkdirSync(exampleOut, { recursive: true })
  let count = 0
  for (const dir of workspaceDirs().filter((d) => d.startsWith('packages/') && !d.endsWith('test-utils'))) {
    for (const file of sourceFiles(join(root, dir, 'src'))) {
      const text = readFileSync(file, 'utf8')
      let n = 0
      for (const match of text.matchAll(/@example\s*\n\s*\*\s*```ts\n([\s\S]*?)\n\s*\*\s*```/g)) {
        const code = match[1]!.split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join('\n')
        const defined = (name: string) => new RegExp(`(\\b(const|let|var|function|class)\\s+${name}\\b)|(import[^;]*\\b${name}\\b[^;]*from)|([{,]\\s*${name}\\s*[,}][^=]*=)`).test(code)
        const used = Object.keys(GIVEN).filter((name) => new RegExp(`\\b${name}\\b`).test(code) && !defined(name))
        const prelude = used.map((name) => `declare const ${name}: ${GIVEN[name]}`).join('\n')
        const name = `${relative(root, file).replace(/[/.]/g, '_')}_${++n}.ts`
        writeFileSync(join(exampleOut, name), `${prelude}\n${code}\nexport {}\n`)
        count++
      }
    }
  }
  expect(count).toBeGreaterThanOrEqual(60)
  expect(compileModules(exampleOut)).toBe('')
}, 120_000)
