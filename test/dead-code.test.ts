// Dead exports are found by knip (knip.json says what each workspace's entry points are): a
// module-level export that nothing imports, a duplicate export, a file nothing reaches. The
// packages' public entry points (src/index.ts) are their API and are not reported.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

it('knip finds no dead export, duplicate export or unreachable file', () => {
  const knip = join(root, 'node_modules/knip/bin/knip.js')
  const result = spawnSync(process.execPath, [knip, '--include', 'exports,types,duplicates,files,nsExports,nsTypes,enumMembers', '--reporter', 'compact', '--no-progress'], {
    cwd: root,
    encoding: 'utf8',
  })
  expect(result.stdout + result.stderr).toBe('')
  expect(result.status).toBe(0)
}, 120_000)
