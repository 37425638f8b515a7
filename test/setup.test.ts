// The set-up a new user follows: README's first commands, what .ci/run runs, and how the
// test command gets the system programs it needs.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { plan, REQUIREMENTS } from '../scripts/provision.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))

describe('.ci/run', () => {
  it('runs exactly the commands README.md starts with, and nothing else', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const first = readme.match(/```sh\n([\s\S]*?)```/)![1]!.trim().split('\n')
    const ci = readFileSync(join(root, '.ci/run'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#') && !/^(set|cd|export) /.test(line))
    expect(first).toEqual(['corepack enable && pnpm install && pnpm demo', 'pnpm test'])
    expect(ci).toEqual(first)
  })
})

describe('provisioning (scripts/provision.mjs)', () => {
  const bin = mkdtempSync(join(tmpdir(), 'oauth-provision-'))
  afterAll(() => rmSync(bin, { recursive: true, force: true }))
  const fakePrograms = (names: string[]) => {
    const dir = mkdtempSync(join(bin, 'path-'))
    for (const name of names) {
      writeFileSync(join(dir, name), '#!/bin/sh\n')
      chmodSync(join(dir, name), 0o755)
    }
    return dir
  }

  it('does nothing when every program is on PATH', () => {
    expect(plan({ path: fakePrograms(REQUIREMENTS.map((r) => r.program)), debianLike: true, root: true, hasApt: true }).action).toBe('none')
  })

  it('installs only the missing packages on Debian as root', () => {
    const p = plan({ path: fakePrograms(REQUIREMENTS.map((r) => r.program).filter((p) => p !== 'redis-server' && p !== 'chromium')), debianLike: true, root: true, hasApt: true })
    expect(p.action).toBe('install')
    expect(p.packages).toEqual(['redis-server', 'chromium'])
    expect(p.command).toBe('apt-get install -y --no-install-recommends redis-server chromium')
  })

  it('stops with the exact command when it may not install (not root, or not Debian)', () => {
    const path = fakePrograms([])
    const notRoot = plan({ path, debianLike: true, root: false, hasApt: true })
    expect(notRoot.action).toBe('stop')
    expect(notRoot.command).toMatch(/^sudo apt-get update && sudo apt-get install -y --no-install-recommends redis-server postgresql chromium dbus-daemon dbus gnome-keyring libsecret-tools tmux glewlwyd sqlite3 tinyproxy openssl git$/)
    const elsewhere = plan({ path, debianLike: false, root: true, hasApt: false })
    expect(elsewhere.action).toBe('stop')
    expect(elsewhere.command).toContain('redis-server, pg_ctlcluster, chromium')
  })

  it('finds every program the suites start on this machine (the test command provided them)', () => {
    expect(plan().missing.map((r: { program: string }) => r.program)).toEqual([])
  })
})
