// 6. `anthropic-oauth token` with a valid stored token, as a shell script or credential helper
// runs it once per request: wall time of a fresh process against `node -e 0` in the same run.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fmt, median, table } from './stats.js'

export function benchCliToken(quick: boolean): string {
  const require = createRequire(import.meta.url)
  const bin = join(dirname(require.resolve('@oauth/cli/package.json')), 'bin/anthropic-oauth.js')
  const dir = mkdtempSync(join(tmpdir(), 'oauth-bench-cli-'))
  const path = join(dir, 'oauth_tokens.json')
  const expiresAt = Math.floor(Date.now() / 1000) + 3600
  writeFileSync(path, JSON.stringify({ access_token: 'sk-ant-oat01-bench', refresh_token: 'sk-ant-ort01-bench', expires_at: expiresAt, token_type: 'Bearer', scope: 'user:inference' }), { mode: 0o600 })
  const samples = quick ? 5 : 41
  const commands: [string, string[]][] = [
    ['`node -e 0`', ['-e', '0']],
    ['`anthropic-oauth token` (valid token in a file)', [bin, 'token', '--path', path]],
  ]
  const runs = commands.map(() => [] as number[])
  try {
    // Interleaved, so that a slow moment of the machine falls on both alike.
    for (let i = 0; i < samples; i++) {
      commands.forEach(([, args], k) => {
        const start = performance.now()
        const result = spawnSync(process.execPath, args, { encoding: 'utf8' })
        runs[k]!.push(performance.now() - start)
        if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`)
      })
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const base = median(runs[0]!)
  const rows = commands.map(([name], k) => [name, fmt(median(runs[k]!), 1), `${fmt(median(runs[k]!) / base, 2)}×`])
  return [
    '## 6. `anthropic-oauth token` for scripts',
    `Median wall time of ${samples} fresh processes each, interleaved. With a valid token the command loads neither the Anthropic SDK, nor \`@oauth/http\`, nor the keychain binding. Target: at most 1.5× \`node -e 0\`.`,
    table(['command', 'ms', 'ratio'], rows),
  ].join('\n\n')
}
