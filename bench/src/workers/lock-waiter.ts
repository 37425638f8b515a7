// lock-waiter.ts (bundled and run with node by the bench): <kind> <file path|redis URL|postgres URL> <config JSON> <first round at, epoch ms> <period ms> <rounds>
// kind: file, redis, postgres: our stores, whose waiters wake when another saves (subscribe);
// file-poll, redis-poll, postgres-poll: the same stores without `subscribe`, as before they told
// of changes (waiters only wait for the lock); proper-lockfile: the strongest peer, pi's
// refresh (earendil-works/pi/packages/coding-agent/src/core/auth-storage.ts): proper-lockfile
// with pi's retry options, a re-read under the lock, then refresh and write.
// At each round's start (wall clock, shared by every worker on this host), a new TokenManager
// asks for that round's login (`<key>:<round>`, `<path>.<round>`), which the parent saved
// expired: one worker refreshes, the others wait for the store's lock and then use what it saved. Prints one line of JSON: per round, this
// worker's latency and whether it was the one that refreshed.
import { isExpired, refreshAccessToken, TokenManager, type OAuthConfig, type TokenStore } from '@oauth/client'
import type { FileTokenStore } from '@oauth/storage-file'
import { Redis } from 'ioredis'
import pg from 'pg'
import lockfile from 'proper-lockfile'
import { roundLogin } from '../lock-wait-logins.js'

const [kind, where, configJson, first, period, rounds] = process.argv.slice(2) as string[]
const config = JSON.parse(configJson!) as OAuthConfig
const redis = kind!.startsWith('redis') ? new Redis(where!) : undefined
const pool = kind!.startsWith('postgres') ? new pg.Pool({ connectionString: where!, max: 2 }) : undefined
function withoutChanges(store: TokenStore): TokenStore {
  return { name: store.name, load: () => store.load(), save: (t) => store.save(t), clear: () => store.clear(), exists: () => store.exists(), lock: (fn) => store.lock!(fn) }
}
const ourStore = (round: number): TokenStore => {
  const store = roundLogin(kind!, round, { redis, pool, path: where })
  return kind!.endsWith('-poll') ? withoutChanges(store) : store
}
const stores = Array.from({ length: Number(rounds) }, (_, round) => ourStore(round))

/** pi's getApiKey for an expired OAuth credential, on the same token file. */
async function piRefresh(file: FileTokenStore): Promise<boolean> {
  const release = await lockfile.lock(file.path, { retries: { retries: 10, factor: 2, minTimeout: 100, maxTimeout: 10_000, randomize: true }, stale: 30_000 })
  try {
    const current = (await file.load())!
    if (!isExpired(current, Date.now(), 0)) return false // another instance refreshed it
    await file.save(await refreshAccessToken(current.refreshToken!, config))
    return true
  } finally {
    await release().catch(() => undefined)
  }
}

// Connected before the first round, as a running service is: the pool's connections (one waits
// for the lock, one reads what the holder saved) and the store's listener. Without this, each
// worker's first round paid for making them, and that round alone made the Postgres row's p99
// (26.6 ms cold, 12.3 ms connected first; bench/RESULTS.md §7). A round's login is listened to
// from two rounds before it until its round is over: a process holds one login at a time here.
const listening = new Map<number, (() => void) | undefined>()
const listen = (round: number) => {
  if (kind !== 'proper-lockfile' && round < stores.length) listening.set(round, stores[round]!.subscribe?.(() => undefined))
}
const stopListening = (round: number) => {
  listening.get(round)?.()
  listening.delete(round)
}
listen(0)
listen(1)
if (kind !== 'proper-lockfile') await Promise.all([stores[0]!.load(), stores[0]!.load()])

const results: { ms: number; refreshed: boolean; failed?: string }[] = []
for (let round = 0; round < Number(rounds); round++) {
  const at = Number(first) + round * Number(period)
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())))
  const start = performance.now()
  if (kind === 'proper-lockfile') {
    try {
      const file = roundLogin(kind!, round, { path: where }) as FileTokenStore
      const tokens = (await file.load())!
      const refreshed = isExpired(tokens, Date.now(), 0) ? await piRefresh(file) : false
      results.push({ ms: performance.now() - start, refreshed })
    } catch (err) {
      results.push({ ms: performance.now() - start, refreshed: false, failed: (err as { code?: string }).code ?? String(err) })
    }
    continue
  }
  const manager = new TokenManager({ tokenStorage: stores[round]!, oauthConfig: config })
  try {
    await manager.getAccessToken()
    results.push({ ms: performance.now() - start, refreshed: manager.refreshCount > 0 })
  } catch (err) {
    results.push({ ms: performance.now() - start, refreshed: false, failed: (err as { code?: string }).code ?? String(err) })
  }
  manager.close()
  stopListening(round)
  listen(round + 2)
}
console.log(JSON.stringify(results))
for (const round of [...listening.keys()]) stopListening(round)
redis?.disconnect()
await pool?.end()
