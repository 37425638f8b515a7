import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = fileURLToPath(new URL('.', import.meta.url))

/**
 * Bundles test files, with `vitest` replaced by the shim (and `node:util` by a stand-in for
 * `inspect`), into one dependency-free ES module that exports `run(runtimeName)`. The store
 * packages use it too, to run the storage conformance suite inside Chromium and workerd.
 */
export async function buildTestBundle(files: string[], outfile: string, options: { define?: Record<string, string> } = {}): Promise<void> {
  const entry = [...files.map((f) => `import ${JSON.stringify(f)}`), `export { run } from ${JSON.stringify(here + 'vitest-shim.ts')}`].join('\n')
  await build({
    stdin: { contents: entry, resolveDir: here, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    conditions: ['@oauth/source', 'import', 'module', 'browser', 'default'],
    alias: { vitest: here + 'vitest-shim.ts', 'node:util': here + 'inspect-shim.ts' },
    define: options.define,
    outfile,
    // The packages' package.json say sideEffects: false, which would drop the bare test imports.
    ignoreAnnotations: true,
    logLevel: 'error',
  })
}

/** Core's own test files, bundled for the other runtimes. */
export async function buildCoreTestBundle(outfile: string): Promise<void> {
  const testDir = fileURLToPath(new URL('../test/', import.meta.url))
  await buildTestBundle(
    readdirSync(testDir)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => testDir + f),
    outfile,
  )
}
