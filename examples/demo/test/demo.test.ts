import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../..', import.meta.url))

it('pnpm demo signs in, calls the API, and shows the automatic refresh', async () => {
  const { stdout } = await run('pnpm', ['demo'], { cwd: root, timeout: 60_000 })
  expect(stdout).toContain('Signing in with PKCE')
  expect(stdout).toMatch(/mode 600/)
  expect(stdout).toContain('reply: "Hello from the stand-in"')
  expect(stdout).toMatch(/\?beta=true, anthropic-beta: .*oauth-2025-04-20/)
  expect(stdout).toMatch(/access token #[0-9a-f]{8} → #[0-9a-f]{8}; refreshes: 1/)
  expect(stdout).toContain('Done: signed in, stored, called, refreshed.')
  expect(stdout).not.toMatch(/Bearer [A-Za-z0-9_-]{20,}/) // tokens only as fingerprints
}, 90_000)
