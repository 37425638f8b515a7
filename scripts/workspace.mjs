// The workspace's package folders, read from pnpm-workspace.yaml, so that the test
// projects, the toolchain guard and the README check never keep lists of their own
// (a hand-kept list once left bench/ out of the test run).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Relative paths (`packages/core`, `bench`, …) of every folder with a package.json that pnpm-workspace.yaml names. */
export function workspaceDirs() {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')
  const block = yaml.split(/^packages:\s*$/m)[1]?.split(/^\S/m)[0] ?? ''
  const patterns = [...block.matchAll(/^\s+-\s+['"]?([^'"\s]+)['"]?\s*$/gm)].map((m) => m[1])
  return patterns
    .flatMap((pattern) => (pattern.endsWith('/*') ? readdirSync(join(root, pattern.slice(0, -2))).map((name) => `${pattern.slice(0, -2)}/${name}`) : [pattern]))
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
}
