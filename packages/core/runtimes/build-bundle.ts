import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = fileURLToPath(new URL('.', import.meta.url))

/**
 * Bundles core's test files, with `vitest` replaced by the shim, into one
 * dependency-free ES module that exports `run(runtimeName)`.
 */
export async function buildCoreTestBundle(outfile: string): Promise<void> {
  const testDir = fileURLToPath(new URL('../test/', import.meta.url))
  const files = readdirSync(testDir).filter((f) => f.endsWith('.test.ts'))
  const entry = [...files.map((f) => `import ${JSON.stringify(testDir + f)}`), `export { run } from ${JSON.stringify(here + 'vitest-shim.ts')}`].join('\n')
  await build({
    stdin: { contents: entry, resolveDir: here, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    conditions: ['@oauth/source', 'import', 'module', 'browser', 'default'],
    alias: { vitest: here + 'vitest-shim.ts' },
    outfile,
    // core's package.json says sideEffects: false, which would drop the bare test imports.
    ignoreAnnotations: true,
    logLevel: 'error',
  })
}
