import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs script without types
import { checkLayers, findViolations } from '../scripts/check-layers.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))

describe('layering', () => {
  it('holds across the workspace', () => {
    expect(checkLayers(root)).toEqual([])
  })

  it('catches a Node built-in import in core', () => {
    expect(findViolations('@oauth/core', 'x.ts', "import { readFile } from 'node:fs'")).toHaveLength(1)
    expect(findViolations('@oauth/core', 'x.ts', "import crypto from 'crypto'")).toHaveLength(1)
    expect(findViolations('@oauth/http', 'x.ts', "const fs = await import('fs/promises')")).toHaveLength(1)
  })

  it('catches Node globals in core and http, but not in comments or strings', () => {
    expect(findViolations('@oauth/core', 'x.ts', 'const home = process.env.HOME')).toHaveLength(1)
    expect(findViolations('@oauth/http', 'x.ts', "const b = Buffer.from('x')")).toHaveLength(1)
    expect(findViolations('@oauth/core', 'x.ts', "// process.env is not used\nconst s = 'process'")).toEqual([])
    // The undefined-safe form runs everywhere; a bare `process` is a ReferenceError in browsers.
    expect(findViolations('@oauth/storage-env', 'x.ts', 'const env = (globalThis as { process?: { env?: E } }).process?.env')).toEqual([])
    expect(findViolations('@oauth/storage-env', 'x.ts', 'const env = process?.env')).toHaveLength(1)
  })

  it('catches an import of a layer above', () => {
    expect(findViolations('@oauth/core', 'x.ts', "import { refreshAccessToken } from '@oauth/http'")).toHaveLength(1)
    expect(findViolations('@oauth/storage-file', 'x.ts', "import { TokenManager } from '@oauth/http'")).toHaveLength(1)
    expect(findViolations('@oauth/http', 'x.ts', "import { AnthropicOAuth } from '@oauth/client'")).toHaveLength(1)
  })

  it('allows what a layer may use', () => {
    expect(findViolations('@oauth/http', 'x.ts', "import * as oauth from 'oauth4webapi'\nimport { OAuthError } from '@oauth/core'")).toEqual([])
    expect(findViolations('@oauth/storage-file', 'x.ts', "import { open } from 'node:fs/promises'")).toEqual([])
  })

  it('refuses a package missing from the layer table', () => {
    expect(findViolations('@oauth/unknown', 'x.ts', '')).toHaveLength(1)
  })
})
