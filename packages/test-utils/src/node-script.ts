import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'

/**
 * Bundles a TypeScript script for a child `node` process: @oauth/* packages from their
 * source (the "@oauth/source" condition) and their dependencies, each resolved from its
 * importer as pnpm lays them out. Packages named in `external` (native bindings) stay
 * imports, resolved from `<package>/.test-build/`, where the bundle is written. Test files that
 * run at the same time and bundle one script each give it their own `name`: a bundle is never
 * rewritten under a process that runs it.
 */
export async function bundleNodeScript(entry: string, packageDir: string, external: string[] = [], name = entry.split('/').at(-1)!.replace(/\.ts$/, '')): Promise<string> {
  const outfile = join(packageDir, '.test-build', `${name}.mjs`)
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

/** True when a user who is neither owner nor group member can reach `path` (x on every parent, r+x on it). */
function reachableByOthers(path: string): boolean {
  if ((statSync(path).mode & 0o005) !== 0o005) return false
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false
    if (dir === dirname(dir)) return true
  }
}

/**
 * Runs a bundled script as another user (an unprivileged reader, say). The script, and the
 * Node binary when that user could not reach it, are copied to a world-readable temporary
 * folder first: a clone inside root's 0700 home is out of that user's reach.
 */
export async function runNodeScriptAs(uid: number, gid: number, script: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-as-user-'))
  try {
    chmodSync(dir, 0o755)
    const copy = join(dir, basename(script))
    copyFileSync(script, copy)
    chmodSync(copy, 0o644)
    let node = process.execPath
    if (!reachableByOthers(node)) {
      node = join(dir, 'node')
      copyFileSync(process.execPath, node)
      chmodSync(node, 0o755)
    }
    return await runNodeScript(node, [copy, ...args], { uid, gid, cwd: dir })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Starts `node script args…`; the caller kills or awaits it. */
export function startNodeScript(script: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  return spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env })
}

/** Runs one `node script args…` per entry of `argsList` at once; each prints a JSON report as its last line. */
export async function runWorkers<T>(script: string, argsList: string[][], options: { env?: NodeJS.ProcessEnv } = {}): Promise<T[]> {
  return Promise.all(
    argsList.map(async (args) => {
      const child = startNodeScript(script, args, options)
      let out = ''
      let err = ''
      child.stdout!.on('data', (d: Buffer) => (out += d))
      child.stderr!.on('data', (d: Buffer) => (err += d))
      const status = await new Promise((resolve) => child.once('exit', resolve))
      if (status !== 0) throw new Error(`worker exited ${status}: ${err}`)
      return JSON.parse(out.trim().split('\n').at(-1)!) as T
    }),
  )
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** The `code` a promise rejects with, or `'resolved'`: for asserting which typed error a call ends in. */
export function settledCode(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => 'resolved',
    (err: { code?: string }) => err?.code,
  )
}
