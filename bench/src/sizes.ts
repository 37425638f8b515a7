// 4. Sizes, min+gzip, measured by size-limit (esbuild) in one run, ours and the peers'.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { fmt, table } from './stats.js'

export function benchSizes(): string {
  const cwd = fileURLToPath(new URL('..', import.meta.url))
  let out: string
  try {
    out = execFileSync('pnpm', ['exec', 'size-limit', '--json'], { cwd, encoding: 'utf8' })
  } catch (err) {
    out = (err as { stdout: string }).stdout
  }
  const results = JSON.parse(out.slice(out.indexOf('['))) as { name: string; size: number }[]
  const size = (prefix: string) => results.find((r) => r.name.startsWith(prefix))!.size
  const rows = results.map((r) => [r.name, fmt(r.size)])
  return [
    '## 4. Sizes',
    'Bytes, minified and gzipped, as a bundler would ship them (size-limit with esbuild). The login import includes the Anthropic preset\'s strings, which the no-argument default keeps in any bundle.',
    table(['bundle', 'bytes'], rows),
    `Browser login, ours / oauth4webapi's: ${fmt(size('browser login: @oauth/core') / size('browser login: oauth4webapi'), 2)}. PKCE only, ours / pkce-challenge: ${fmt(size('PKCE only: @oauth/core') / size('PKCE only: pkce-challenge'), 2)}.`,
  ].join('\n\n')
}
