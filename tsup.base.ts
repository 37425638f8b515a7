import { defineConfig, type Options } from 'tsup'

/** The one build every package shares: ESM + CJS + .d.ts/.d.cts from src/index.ts. */
export function packageBuild(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    treeshake: true,
    ...overrides,
  })
}
