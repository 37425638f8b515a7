import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'

/**
 * Bundles a TypeScript script for a child `node` process: @oauth/* packages from their
 * source (the "@oauth/source" condition) and their dependencies, each resolved from its
 * importer as pnpm lays them out. Packages named in `external` (native bindings) stay
 * imports, resolved from `<package>/.test-build/`, where the bundle is written.
 */
export async function bundleNodeScript(entry: string, packageDir: string, external: string[] = []): Promise<string> {
  const outfile = join(packageDir, '.test-build', `${entry.split('/').at(-1)!.replace(/\.ts$/, '')}.mjs`)
  mkdirSync(dirname(outfile), { recursive: true })
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@oauth/source'],
    external,
    // Bundled CommonJS dependencies may call require(); give the ES module one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'error',
  })
  return outfile
}

export const runNodeScript = promisify(execFile)

/** Starts `node script args…`; the caller kills or awaits it. */
export function startNodeScript(script: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  return spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env })
}
