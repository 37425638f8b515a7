#!/usr/bin/env node
// Layering is a rule, not a wish. Each published package may import only the
// packages its layer allows, and the runtime-agnostic layers may not touch Node
// (no node:* or bare built-in imports, no process, Buffer, require, __dirname).
// Run: pnpm check:layers (the test suite runs it too: test/layers.test.ts).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Which packages each layer may import; `node` says whether Node built-ins are allowed. */
export const LAYERS = {
  '@oauth/core': { allow: [], node: false },
  '@oauth/http': { allow: ['@oauth/core', 'oauth4webapi'], node: false },
  // Anthropic's presets: generic code stays in core and http, this holds what is Anthropic's.
  '@oauth/anthropic': { allow: ['@oauth/core', '@oauth/http'], node: false },
  '@oauth/storage-memory': { allow: ['@oauth/core'], node: false },
  '@oauth/storage-env': { allow: ['@oauth/core'], node: false },
  '@oauth/storage-file': { allow: ['@oauth/core'], node: true },
  '@oauth/storage-keychain': { allow: ['@oauth/core', '@napi-rs/keyring'], node: true },
  '@oauth/storage-redis': { allow: ['@oauth/core'], node: true },
  '@oauth/storage-postgres': { allow: ['@oauth/core'], node: true },
  '@oauth/storage-browser': { allow: ['@oauth/core'], node: false },
  '@oauth/storage-durable-object': { allow: ['@oauth/core'], node: false },
  // undici: the Node wiring for proxies (EnvHttpProxyAgent) lives here, so that core and http,
  // which run in browsers and workers, stay free of it.
  '@oauth/client': {
    allow: ['@oauth/core', '@oauth/http', '@oauth/anthropic', '@oauth/storage-file', '@oauth/storage-env', '@anthropic-ai/sdk', 'undici'],
    node: true,
  },
  // The CLI sits on top of client but also imports the layers below it directly, as a layer
  // may: `token` and `status` run once per request in scripts and must not load what they do
  // not use, and client brings the Anthropic SDK (only `login` loads client, lazily). It uses
  // the file store and the keychain store, nothing else.
  '@oauth/cli': {
    allow: ['@oauth/core', '@oauth/http', '@oauth/anthropic', '@oauth/client', '@oauth/storage-file', '@oauth/storage-keychain'],
    node: true,
  },
  // MCP authorization: generic OAuth from core and http, the file and memory stores for its
  // logins. The MCP SDK is an optional peer (the versions tested), never imported: any
  // transport that takes a fetch will do.
  '@oauth/mcp': { allow: ['@oauth/core', '@oauth/http', '@oauth/storage-file', '@oauth/storage-memory', '@modelcontextprotocol/sdk'], node: true },
}

// globalThis.process is allowed: undefined-safe in browsers and workers, unlike a bare process.
const NODE_GLOBALS = /(?<![.\w$])(process|Buffer|require|__dirname|__filename)\b(?!\??\s*:)/
const builtins = new Set(builtinModules)

function stripComments(source) {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1')
}

function packageOf(specifier) {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/** Violations in one file's source for the package `name`. */
export function findViolations(name, file, source) {
  const layer = LAYERS[name]
  if (!layer) return [`${name}: not in the layer table of scripts/check-layers.mjs; add it with the imports it may use`]
  const code = stripComments(source)
  const problems = []
  const specifiers = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1])
  for (const spec of specifiers) {
    if (spec.startsWith('.')) continue
    const isBuiltin = spec.startsWith('node:') || builtins.has(packageOf(spec))
    if (isBuiltin) {
      if (!layer.node) problems.push(`${file}: imports the Node built-in '${spec}', but ${name} must run in browsers and edge workers`)
    } else if (!layer.allow.includes(packageOf(spec))) {
      problems.push(`${file}: imports '${spec}', which ${name} may not depend on (allowed: ${layer.allow.join(', ') || 'nothing'})`)
    }
  }
  if (!layer.node) {
    code.split('\n').forEach((line, i) => {
      const hit = line.replace(/(['"`])(?:\\.|(?!\1).)*\1/g, '""').match(NODE_GLOBALS)
      if (hit) problems.push(`${file}:${i + 1}: uses the Node global '${hit[1]}', but ${name} must run in browsers and edge workers`)
    })
  }
  return problems
}

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return /\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(entry) ? [path] : []
  })
}

/** Every violation in the workspace's published packages (their src/ and package.json dependencies). */
export function checkLayers(root) {
  const problems = []
  for (const dir of readdirSync(join(root, 'packages'))) {
    const pkgPath = join(root, 'packages', dir, 'package.json')
    let pkg
    try {
      pkg = JSON.parse(readFileSync(pkgPath, 'utf8'))
    } catch {
      continue
    }
    if (pkg.private) continue
    const layer = LAYERS[pkg.name]
    if (!layer) {
      problems.push(`${pkg.name}: not in the layer table of scripts/check-layers.mjs; add it with the imports it may use`)
      continue
    }
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies })) {
      if (!layer.allow.includes(dep)) problems.push(`${pkgPath}: depends on '${dep}', which ${pkg.name} may not use`)
    }
    for (const file of sourceFiles(join(root, 'packages', dir, 'src'))) {
      problems.push(...findViolations(pkg.name, relative(root, file), readFileSync(file, 'utf8')))
    }
  }
  return problems
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = checkLayers(fileURLToPath(new URL('..', import.meta.url)))
  for (const p of problems) console.error(p)
  console.log(problems.length ? `${problems.length} layering problem(s)` : 'layers: ok')
  process.exit(problems.length ? 1 : 0)
}
