import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'

/**
 * Bundles a TypeScript script for a child `node` process: @oauth/* packages from their
 * source (the "@oauth/source" condition), everything else left as imports. The bundle is
 * written to `<package>/.test-build/`, so those imports resolve from the package.
 */
export async function bundleNodeScript(entry: string, packageDir: string): Promise<string> {
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
    logLevel: 'error',
    plugins: [
      {
        name: 'external-non-oauth',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@oauth/') ? undefined : { path: args.path, external: true }))
        },
      },
    ],
  })
  return outfile
}

export const runNodeScript = promisify(execFile)

/** Starts `node script args…`; the caller kills or awaits it. */
export function startNodeScript(script: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  return spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env })
}
