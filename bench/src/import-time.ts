// 5. Cold import time in Node: a fresh process per sample, minus an empty process.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { fmt, median, table } from './stats.js'

export function benchImportTime(quick: boolean): string {
  const cwd = fileURLToPath(new URL('..', import.meta.url))
  const samples = quick ? 3 : 31
  const time = (code: string) => {
    const runs: number[] = []
    for (let i = 0; i < samples; i++) {
      const start = performance.now()
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd })
      if (result.status !== 0) throw new Error(`${code} failed: ${result.stderr}`)
      runs.push(performance.now() - start)
    }
    return median(runs)
  }
  const empty = time('')
  const modules = ['@oauth/core', '@oauth/http', '@oauth/client', 'oauth4webapi', '@anthropic-ai/sdk']
  const ms = Object.fromEntries(modules.map((m) => [m, time(`await import(${JSON.stringify(m)})`) - empty]))
  const rows = modules.map((m) => [`\`${m}\``, fmt(ms[m]!, 1)])
  const added = ms['@oauth/client']! - ms['@anthropic-ai/sdk']!
  return [
    '## 5. Cold import time',
    `Median of ${samples} fresh \`node\` processes importing the built package, minus an empty process (${fmt(empty, 1)} ms). \`@oauth/client\` includes the Anthropic SDK it extends. \`@oauth/http\` loads oauth4webapi on its first token request, not at import.`,
    table(['module', 'ms'], rows),
    `**What \`@oauth/client\` adds on top of \`@anthropic-ai/sdk\` alone: ${fmt(added, 1)} ms** (goal: under 10 ms; the difference of two medians, so expect a few ms of noise).`,
  ].join('\n\n')
}
