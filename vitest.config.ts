import { readdirSync, existsSync } from 'node:fs'
import { defineConfig } from 'vitest/config'

// Tests run against source: the "@oauth/source" export condition points each
// workspace package at its src/index.ts (tsconfig.base.json has the same condition).
const conditions = ['@oauth/source', 'module', 'node', 'import', 'default']

const dirs = ['packages', 'examples', '.'].flatMap((parent) => (parent === '.' ? ['docs', 'bench'] : readdirSync(parent).map((name) => `${parent}/${name}`)))
const projects = dirs.filter((dir) => existsSync(`${dir}/test`))

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@oauth/source'] } },
  test: {
    reporters: ['default', ['json', { outputFile: '.reports/vitest.json' }]],
    projects: [
      ...projects.map((dir) => ({
        extends: true as const,
        test: { name: dir.replace(/^packages\//, ''), root: dir, include: ['test/**/*.test.ts', 'runtimes/**/*.test.ts'] },
      })),
      { extends: true as const, test: { name: 'repo', root: '.', include: ['test/**/*.test.ts'] } },
    ],
  },
})
