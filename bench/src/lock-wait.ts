// 7. How long a waiting process spends beyond the refresh itself, when N processes sharing one
// store all find the token expired at the same moment: one refreshes under the store's lock,
// the others wait for it and use what it saved. "Beyond" is a waiter's latency minus the
// refreshing process's own latency in the same round (lock, read, token request, save).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildAuthorizationUrl, exchangeCodeForTokens, parseAuthCode, type TokenStore } from '@oauth/client'
import { migrate } from '@oauth/storage-postgres'
import { bundleNodeScript, runWorkers, startAnthropicStandIn, startPostgresServer, startRedisServer, type AnthropicStandIn } from '@oauth/test-utils'
import { Redis } from 'ioredis'
import pg from 'pg'
import { roundLogin } from './lock-wait-logins.js'
import { fmt, median, percentile, table } from './stats.js'

const benchDir = fileURLToPath(new URL('..', import.meta.url))
type Round = { ms: number; refreshed: boolean; failed?: string }
type Kind = 'file' | 'file-poll' | 'proper-lockfile' | 'redis' | 'redis-poll' | 'postgres' | 'postgres-poll'

async function login(standIn: AnthropicStandIn) {
  const { url, oauthState } = await buildAuthorizationUrl(standIn.config)
  const { code, state } = parseAuthCode(await standIn.approve(url))
  return exchangeCodeForTokens(code, state, oauthState, standIn.config)
}

/**
 * Each round has a login of its own (a key, or a token file, per round), saved expired before
 * the workers start: a round still refreshing on a busy machine when the next begins cannot
 * meet the next round's login, so every round has exactly one refresh to wait for.
 */
async function measure(standIn: AnthropicStandIn, script: string, kind: Kind, where: string, storeFor: (round: number) => TokenStore, processes: number, rounds: number) {
  for (let round = 0; round < rounds; round++) await storeFor(round).save({ ...(await login(standIn)), expiresAt: Date.now() - 1_000 })
  const period = 400 + processes * 40
  const first = Date.now() + 1_500 + processes * 120 // every worker is up and connected by then
  const grants = standIn.invalidGrants
  const reports = await runWorkers<Round[]>(script, Array.from({ length: processes }, () => [kind, where, JSON.stringify(standIn.config), String(first), String(period), String(rounds)]))
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
  const postgresServer = await startPostgresServer()
  const pool = new pg.Pool({ connectionString: postgresServer.url })
  await migrate(pool)
  const rows: (string | number)[][] = []
  try {
    // Quick mode (CI's check that the bench runs) uses fewer processes; the report says how many.
    // Before and after, in the same run: each store's waiters only waiting for the lock (as before
    // the stores told of changes: `-poll`), and woken by the save to take it without the lock;
    // and the strongest peer on the same file, pi's proper-lockfile refresh.
    const many = quick ? 8 : 32
    const some = quick ? 4 : 16
    const cases: { label: string; kind: Kind; processes: number }[] = [
      { label: 'file store, lock polled (before)', kind: 'file-poll', processes: many },
      { label: 'file store, woken by the save (fs.watch)', kind: 'file', processes: many },
      { label: 'peer: proper-lockfile + re-read under it (pi)', kind: 'proper-lockfile', processes: many },
      { label: 'Redis store, lock polled (before)', kind: 'redis-poll', processes: some },
      { label: 'Redis store, woken by the save (pub/sub)', kind: 'redis', processes: some },
      { label: 'Postgres store, lock waited on (before)', kind: 'postgres-poll', processes: some },
      { label: 'Postgres store, woken by the save (LISTEN/NOTIFY)', kind: 'postgres', processes: some },
    ]
    for (const c of cases) {
      const path = join(dir, `tokens-${c.kind}-${c.processes}.json`)
      const storeFor = (round: number) => roundLogin(c.kind, round, { redis, pool, path })
      const where = c.kind.startsWith('redis') ? redisServer.url : c.kind.startsWith('postgres') ? postgresServer.url : path
      const r = await measure(standIn, script, c.kind, where, storeFor, c.processes, rounds)
      // A row whose event did not happen measured nothing: it fails the run, loudly.
      if (r.refreshes === 0 || r.beyond.length === 0) throw new Error(`bench §7 "${c.label}": ${r.refreshes} refreshes and ${r.beyond.length} waits in ${rounds} rounds: the row measured nothing`)
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
    await pool.end()
    await redisServer.stop()
    await postgresServer.destroy()
    await standIn.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return [
    '## 7. Waiting for another process’s refresh',
    `N processes on one host share one store; at the start of each round all of them find the token expired at once (each round a login of its own, saved expired before the run, and a new \`TokenManager\`; each process has connected to its store, and is listening to it, before the first round, as a running service has). One refreshes under the store's lock against the Anthropic stand-in; the others wait for the lock, re-read the store and use what it saved, or, where the store tells of changes (the file store through \`fs.watch\` on its folder, Redis through pub/sub, Postgres through \`LISTEN\`/\`NOTIFY\`), take the saved tokens as soon as they are saved, without the lock. The peer row is pi's refresh (\`earendil-works/pi/packages/coding-agent/src/core/auth-storage.ts\`: proper-lockfile with its retry options, a re-read under the lock) on the same token file. "Beyond" is a waiter's latency minus the refreshing process's latency in the same round. ${rounds} rounds per row.`,
    table(['store', 'processes', 'rounds', 'refreshes', 'invalid_grant', 'failed calls', 'refresh itself, median ms', 'beyond it, median ms', 'beyond it, p99 ms', 'p99 beyond ÷ refresh'], rows),
  ].join('\n\n')
}
