import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.js'

const library = packageBuild({ platform: 'node' }) as object
// The executable is ESM only: it uses top-level await, which CommonJS cannot.
export default defineConfig([library, { entry: ['src/bin.ts'], format: ['esm'], platform: 'node', target: 'node20', sourcemap: true }])
