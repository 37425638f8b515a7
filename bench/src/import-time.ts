// 5. Cold import time in Node: a fresh process per sample, minus an empty process.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { fmt, median, table } from './stats.js'

export function benchImportTime(quick: boolean): string {
  const cwd = fileURLToPath(new URL('..', import.meta.url))
  const samples = quick ? 3 : 15
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
  const rows = modules.map((m) => [`\`${m}\``, fmt(time(`await import(${JSON.stringify(m)})`) - empty, 1)])
  return [
    '## 5. Cold import time',
    `Median of ${samples} fresh \`node\` processes importing the built package, minus an empty process (${fmt(empty, 1)} ms). \`@oauth/client\` includes the Anthropic SDK it extends.`,
    table(['module', 'ms'], rows),
  ].join('\n\n')
}
