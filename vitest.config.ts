import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { workspaceDirs } from './scripts/workspace.mjs'

// Tests run against source: the "@oauth/source" export condition points each
// workspace package at its src/index.ts (tsconfig.base.json has the same condition).
const conditions = ['@oauth/source', 'module', 'node', 'import', 'default']

const projects = workspaceDirs().filter((dir) => existsSync(`${dir}/test`))

// OAUTH_SDK=lowest: @anthropic-ai/sdk is the lowest release of the client's peer range
// (`anthropic-sdk-lowest`, 1.0.0), not the locked newest one. scripts/test.mjs runs the client's
// tests so once more.
// The same for the MCP SDK in @oauth/mcp's tests (`mcp-sdk-lowest`, 1.24.0): the package name,
// so that its exports map resolves the SDK's subpath imports.
const lowestSdk = () => fileURLToPath(new URL('./packages/client/node_modules/anthropic-sdk-lowest', import.meta.url))
const alias: Record<string, string> = process.env.OAUTH_SDK === 'lowest' ? { '@anthropic-ai/sdk': lowestSdk(), '@modelcontextprotocol/sdk': 'mcp-sdk-lowest' } : {}

export default defineConfig({
  resolve: { conditions, alias },
  // Vitest also hands ssr.resolve.conditions to Node (--conditions) for what it does not bundle,
  // and Node applies them to require() too: with 'import' there, node-postgres's require('pg-pool')
  // got pg-pool's ESM build and failed. Vite adds 'import' or 'require' by itself, per import.
  ssr: { resolve: { conditions: conditions.filter((c) => c !== 'import'), externalConditions: ['@oauth/source'] } },
  test: {
    // scripts/test.mjs names one report per Node release.
    // A time limit guards against a hang; it does not measure speed (bench/ does). Many tests
    // spawn processes, browsers and servers, and vitest's 5 s default failed them on a busy
    // machine: the "each command works on the account named" CLI test takes 2.8 s alone.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: process.env.OAUTH_VITEST_REPORT ?? '.reports/vitest.json' }]],
    projects: [
      ...projects.map((dir) => ({
        extends: true as const,
        test: { name: dir.replace(/^packages\//, ''), root: dir, include: ['test/**/*.test.ts', 'runtimes/**/*.test.ts'] },
      })),
      { extends: true as const, test: { name: 'repo', root: '.', include: ['test/**/*.test.ts'] } },
    ],
  },
})
