// Every export of every published package has TSDoc: the API reference users read in their editor.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))

it('documents every export of every published package', () => {
  const entries = readdirSync(join(root, 'packages'))
    .filter((name) => !JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')).private)
    .map((name) => join(root, 'packages', name, 'src/index.ts'))
  const program = ts.createProgram(entries, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    customConditions: ['@oauth/source'],
    types: ['node'],
    skipLibCheck: true,
  })
  const checker = program.getTypeChecker()
  const missing: string[] = []
  let count = 0
  for (const entry of entries) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      // Re-exports of another @oauth package are documented where they are declared.
      const declaration = symbol.declarations?.[0]
      if (!declaration || !declaration.getSourceFile().fileName.startsWith(join(root, 'packages'))) continue
      count++
      if (symbol.getDocumentationComment(checker).length === 0) {
        missing.push(`${entry.split('/packages/')[1]!.split('/')[0]}: ${exported.name}`)
      }
    }
  }
  expect(count).toBeGreaterThan(80)
  expect([...new Set(missing)]).toEqual([])
})
