// lock-waiter.ts (bundled and run with node by the tests): <file|file-poll|redis> <file path|redis URL> <config JSON> <first round at, epoch ms> <period ms> <rounds>
// file-poll: the file store as it was before it told of changes (no `subscribe`): waiters only poll the lock.
// At each round's start (wall clock, shared by every worker on this host), a new TokenManager
// asks for a token the parent has just marked expired: one worker refreshes, the others wait
// for the store's lock and then use what it saved. Prints one line of JSON: per round, this
// worker's latency and whether it was the one that refreshed.
import { TokenManager, type TokenStore } from '@oauth/client'
import { FileTokenStore } from '@oauth/storage-file'
import { RedisTokenStore } from '@oauth/storage-redis'
import { Redis } from 'ioredis'

const [kind, where, config, first, period, rounds] = process.argv.slice(2) as string[]
const redis = kind === 'redis' ? new Redis(where!) : undefined
function withoutChanges(store: TokenStore): TokenStore {
  return { name: store.name, load: () => store.load(), save: (t) => store.save(t), clear: () => store.clear(), exists: () => store.exists(), lock: (fn) => store.lock!(fn) }
}
const file = new FileTokenStore({ path: where })
const store: TokenStore = redis ? new RedisTokenStore({ client: redis, key: 'bench-lock' }) : kind === 'file-poll' ? withoutChanges(file) : file
const results: { ms: number; refreshed: boolean; failed?: string }[] = []
for (let round = 0; round < Number(rounds); round++) {
  const at = Number(first) + round * Number(period)
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())))
  const manager = new TokenManager({ tokenStorage: store, oauthConfig: JSON.parse(config!) })
  const start = performance.now()
  try {
    await manager.getAccessToken()
    results.push({ ms: performance.now() - start, refreshed: manager.refreshCount > 0 })
  } catch (err) {
    results.push({ ms: performance.now() - start, refreshed: false, failed: (err as { code?: string }).code ?? String(err) })
  }
}
console.log(JSON.stringify(results))
redis?.disconnect()
