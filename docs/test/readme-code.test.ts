// Every ```ts block in every README is compiled against the real packages (their source,
// through the @oauth/source condition). A renamed export or a changed signature fails here.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
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
  writeFileSync(
    join(out, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../../tsconfig.base.json',
      compilerOptions: { types: ['node'], lib: ['ES2022', 'DOM', 'DOM.Iterable'], noUnusedLocals: false, module: 'ESNext', target: 'ES2022' },
      include: ['*.ts'],
    }),
  )
  expect(blocks.length).toBeGreaterThanOrEqual(13)
  expect(new Set(blocks.map((b) => b.source)).size).toBeGreaterThanOrEqual(9)
  let errors = ''
  try {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(out, 'tsconfig.json')], { cwd: docsDir, encoding: 'utf8' })
  } catch (err) {
    errors = (err as { stdout: string }).stdout
  }
  expect(errors).toBe('')
}, 120_000)
