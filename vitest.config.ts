import { existsSync } from 'node:fs'
import { defineConfig } from 'vitest/config'
import { workspaceDirs } from './scripts/workspace.mjs'

// Tests run against source: the "@oauth/source" export condition points each
// workspace package at its src/index.ts (tsconfig.base.json has the same condition).
const conditions = ['@oauth/source', 'module', 'node', 'import', 'default']

const projects = workspaceDirs().filter((dir) => existsSync(`${dir}/test`))

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@oauth/source'] } },
  test: {
    // scripts/test.mjs names one report per Node release.
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
