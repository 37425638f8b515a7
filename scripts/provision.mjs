#!/usr/bin/env node
// The system programs the test suite (and `pnpm bench`) runs for real, and how they get here.
// `pnpm test` and `pnpm bench` call this first: on Debian or Ubuntu as root it installs what is
// missing with apt-get and says so; anywhere else it stops before any test runs and prints the
// exact command. No suite is ever skipped because a server is missing.
import { spawnSync } from 'node:child_process'
import { accessSync, constants, readFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Each program the tests start, the Debian package that has it, and what it is for. */
export const REQUIREMENTS = [
  { program: 'redis-server', pkg: 'redis-server', why: 'the Redis store and its cross-process tests' },
  // Debian keeps initdb and postgres under /usr/lib/postgresql/<major>/bin; pg_ctlcluster, on
  // PATH, comes with them (postgresql-common). The tests run their own cluster, never this one.
  { program: 'pg_ctlcluster', pkg: 'postgresql', why: 'PostgreSQL (initdb, postgres) for the Postgres store and its cross-process tests' },
  { program: 'chromium', pkg: 'chromium', why: 'core in a browser, the browser example' },
  { program: 'dbus-daemon', pkg: 'dbus-daemon', why: 'a private D-Bus for the Secret Service' },
  { program: 'dbus-send', pkg: 'dbus', why: 'waiting for the Secret Service on that bus' },
  { program: 'gnome-keyring-daemon', pkg: 'gnome-keyring', why: 'the Secret Service behind the keychain store' },
  { program: 'secret-tool', pkg: 'libsecret-tools', why: 'reading the keychain store from outside' },
  { program: 'tmux', pkg: 'tmux', why: 'the CLI in a pseudo-terminal (status with its usage bars, the spinner)' },
  { program: 'glewlwyd', pkg: 'glewlwyd', why: 'a second, non-JavaScript authorization server (confidential clients, revocation, the device grant)' },
  { program: 'sqlite3', pkg: 'sqlite3', why: "creating Glewlwyd's throwaway database" },
  { program: 'tinyproxy', pkg: 'tinyproxy', why: 'a real forward proxy (HTTPS_PROXY)' },
  { program: 'openssl', pkg: 'openssl', why: 'a private CA whose certificate Node does not trust (NODE_EXTRA_CA_CERTS)' },
  { program: 'git', pkg: 'git', why: 'the toolchain tests list the tracked files (git ls-files)' },
]

/** Where `program` is on `PATH`, or undefined. */
export function which(program, path = process.env.PATH ?? '') {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, program)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/** True on Debian and its derivatives (Ubuntu …), where apt-get installs the packages above. */
export function isDebianLike(osRelease = readOsRelease()) {
  return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(osRelease)
}

function readOsRelease() {
  try {
    return readFileSync('/etc/os-release', 'utf8')
  } catch {
    return ''
  }
}

/**
 * What to do about the missing programs: nothing, install them (Debian as root), or stop
 * and tell the user the command. Pure, so the decision is tested without touching the machine.
 */
export function plan({ path = process.env.PATH ?? '', debianLike = isDebianLike(), root = process.getuid?.() === 0, hasApt = Boolean(which('apt-get', path)) } = {}) {
  const missing = REQUIREMENTS.filter((r) => !which(r.program, path))
  if (missing.length === 0) return { action: 'none', missing }
  const packages = [...new Set(missing.map((r) => r.pkg))]
  const command = `apt-get install -y --no-install-recommends ${packages.join(' ')}`
  if (debianLike && root && hasApt) return { action: 'install', missing, packages, command }
  const advice = debianLike
    ? `sudo apt-get update && sudo ${command}`
    : `install ${missing.map((r) => r.program).join(', ')} with your system's package manager (on Debian or Ubuntu: ${command})`
  return { action: 'stop', missing, packages, command: advice }
}

/** Makes sure every program is there; returns false (after saying why) when it cannot. */
export function provision(log = (line) => process.stderr.write(`${line}\n`)) {
  const p = plan()
  if (p.action === 'none') return true
  const list = p.missing.map((r) => `  ${r.program} (${r.why})`).join('\n')
  if (p.action === 'stop') {
    log(`The tests run real servers, and these programs are missing:\n${list}\nRun this, then try again:\n  ${p.command}`)
    return false
  }
  log(`The tests run real servers; installing the missing ones from Debian's packages:\n${list}\n$ apt-get update && ${p.command}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env })
  const install =
    update.status === 0 &&
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...p.packages], { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0
  const still = plan().missing
  if (!install || still.length > 0) {
    log(`Installing failed${still.length ? `; still missing: ${still.map((r) => r.program).join(', ')}` : ''}. Run it yourself:\n  apt-get update && ${p.command}`)
    return false
  }
  log(`Installed: ${p.packages.join(' ')}`)
  return true
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exit(provision() ? 0 : 1)
}

