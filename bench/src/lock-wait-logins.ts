// Round k's login in bench §7: `bench-lock:<kind>:<k>` in Redis and Postgres, `<path>.<k>` on disk.
// The parent (lock-wait.ts) saves each one expired before the run; the workers
// (workers/lock-waiter.ts) wait for and refresh it in round k.
import type { TokenStore } from '@oauth/client'
import { FileTokenStore } from '@oauth/storage-file'
import { PostgresTokenStore } from '@oauth/storage-postgres'
import { RedisTokenStore } from '@oauth/storage-redis'
import type { Redis } from 'ioredis'
import type pg from 'pg'

export function roundLogin(kind: string, round: number, backend: { redis?: Redis; pool?: pg.Pool; path?: string }): TokenStore {
  if (kind.startsWith('redis')) return new RedisTokenStore({ client: backend.redis!, key: `bench-lock:${kind}:${round}` })
  if (kind.startsWith('postgres')) return new PostgresTokenStore({ pool: backend.pool!, key: `bench-lock:${kind}:${round}` })
  return new FileTokenStore({ path: `${backend.path}.${round}` })
}
