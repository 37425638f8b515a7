// 7. How long a waiting process spends beyond the refresh itself, when N processes sharing one
// store all find the token expired at the same moment: one refreshes under the store's lock,
// the others wait for it and use what it saved. "Beyond" is a waiter's latency minus the
// refreshing process's own latency in the same round (lock, read, token request, save).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildAuthorizationUrl, exchangeCodeForTokens, FileTokenStore, parseAuthCode, type TokenStore } from '@oauth/client'
import { RedisTokenStore } from '@oauth/storage-redis'
import { bundleNodeScript, runWorkers, startAnthropicStandIn, startRedisServer, type AnthropicStandIn } from '@oauth/test-utils'
import { Redis } from 'ioredis'
import { fmt, median, percentile, table } from './stats.js'

const benchDir = fileURLToPath(new URL('..', import.meta.url))
type Round = { ms: number; refreshed: boolean; failed?: string }

async function login(standIn: AnthropicStandIn) {
  const { url, oauthState } = await buildAuthorizationUrl(standIn.config)
  const { code, state } = parseAuthCode(await standIn.approve(url))
  return exchangeCodeForTokens(code, state, oauthState, standIn.config)
}

async function measure(standIn: AnthropicStandIn, script: string, kind: 'file' | 'file-poll' | 'redis', where: string, store: TokenStore, processes: number, rounds: number) {
  await store.save({ ...(await login(standIn)), expiresAt: Date.now() - 1_000 })
  const period = 400 + processes * 40
  const first = Date.now() + 1_500 + processes * 120 // every worker is up and connected by then
  // Before each round, the login saved by the last one is marked expired again.
  const timers = Array.from({ length: rounds }, (_, round) =>
    setTimeout(async () => {
      const tokens = await store.load()
      await store.save({ ...tokens!, expiresAt: Date.now() - 1_000 })
    }, first + round * period - period / 2 - Date.now()),
  )
  const grants = standIn.invalidGrants
  const reports = await runWorkers<Round[]>(script, Array.from({ length: processes }, () => [kind, where, JSON.stringify(standIn.config), String(first), String(period), String(rounds)]))
  timers.forEach(clearTimeout)
  const beyond: number[] = []
  let refreshes = 0
  let failures = 0
  const refreshMs: number[] = []
  for (let round = 0; round < rounds; round++) {
    const results = reports.map((r) => r[round]!)
    failures += results.filter((r) => r.failed).length
    const refresher = results.filter((r) => r.refreshed)
    refreshes += refresher.length
    if (refresher.length !== 1) continue
    refreshMs.push(refresher[0]!.ms)
    for (const r of results) if (!r.refreshed && !r.failed) beyond.push(Math.max(0, r.ms - refresher[0]!.ms))
  }
  return { beyond, refreshes, failures, refreshMs, invalidGrants: standIn.invalidGrants - grants }
}

export async function benchLockWait(quick: boolean): Promise<string> {
  const rounds = quick ? 5 : 25
  const dir = mkdtempSync(join(tmpdir(), 'oauth-bench-lock-'))
  const script = await bundleNodeScript(join(benchDir, 'src/workers/lock-waiter.ts'), benchDir)
  const standIn = await startAnthropicStandIn()
  const redisServer = await startRedisServer()
  const redis = new Redis(redisServer.url)
  const rows: (string | number)[][] = []
  try {
    // Quick mode (CI's check that the bench runs) uses fewer processes; the report says how many.
    // Before and after, in the same run: the file store's waiters polling the lock (before it told
    // of changes: `file-poll`), and waking on the saved file (fs.watch) to take it without the lock.
    const cases = [
      { label: 'file store, lock polled (before)', kind: 'file-poll' as const, processes: quick ? 4 : 8 },
      { label: 'file store, woken by the save', kind: 'file' as const, processes: quick ? 4 : 8 },
      { label: 'file store, lock polled (before)', kind: 'file-poll' as const, processes: quick ? 8 : 32 },
      { label: 'file store, woken by the save', kind: 'file' as const, processes: quick ? 8 : 32 },
      { label: 'Redis store (lock polled)', kind: 'redis' as const, processes: quick ? 4 : 16 },
    ]
    for (const c of cases) {
      const path = join(dir, `tokens-${c.kind}-${c.processes}.json`)
      const store = c.kind === 'redis' ? new RedisTokenStore({ client: redis, key: 'bench-lock' }) : new FileTokenStore({ path })
      const r = await measure(standIn, script, c.kind, c.kind === 'redis' ? redisServer.url : path, store, c.processes, rounds)
      rows.push([
        c.label,
        c.processes,
        rounds,
        `${r.refreshes} / ${rounds}`,
        r.invalidGrants,
        r.failures,
        fmt(median(r.refreshMs), 1),
        fmt(median(r.beyond), 1),
        fmt(percentile(r.beyond, 99), 1),
        fmt(percentile(r.beyond, 99) / median(r.refreshMs), 2),
      ])
    }
  } finally {
    redis.disconnect()
    await redisServer.stop()
    await standIn.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return [
    '## 7. Waiting for another process’s refresh',
    `N processes on one host share one store; at the start of each round all of them find the token expired at once (a new \`TokenManager\` each round). One refreshes under the store's lock against the Anthropic stand-in; the others wait for the lock, re-read the store and use what it saved, or, where the store tells of changes (the file store, through \`fs.watch\` on its folder), take the saved tokens as soon as they are on disk, without the lock. "Beyond" is a waiter's latency minus the refreshing process's latency in the same round. ${rounds} rounds per row.`,
    table(['store', 'processes', 'rounds', 'refreshes', 'invalid_grant', 'failed calls', 'refresh itself, median ms', 'beyond it, median ms', 'beyond it, p99 ms', 'p99 beyond ÷ refresh'], rows),
  ].join('\n\n')
}
