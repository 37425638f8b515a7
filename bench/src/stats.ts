export const median = (xs: number[]) => percentile(xs, 50)

export function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

/** Operations per second of `fn`, measured `runs` times for `ms` each; the median run. */
export async function opsPerSecond(fn: () => unknown, runs: number, ms: number): Promise<number> {
  for (let i = 0; i < 200; i++) await fn() // warm-up
  const results: number[] = []
  for (let r = 0; r < runs; r++) {
    let ops = 0
    const start = performance.now()
    while (performance.now() - start < ms) {
      await fn()
      ops++
    }
    results.push((ops * 1000) / (performance.now() - start))
  }
  return median(results)
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

export function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}
