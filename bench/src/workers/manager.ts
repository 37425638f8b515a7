// manager.ts (bundled and run with node by the tests): <file|redis> <file path|redis URL> <config JSON> <API URL> <duration ms> <expiry buffer s>
import { createOAuthFetch, TokenManager, type TokenStore } from '@oauth/client'
import { RedisTokenStore } from '@oauth/storage-redis'
import { runRefresher } from '@oauth/test-utils/refresher'
import { FileTokenStore } from '@oauth/storage-file'
import { Redis } from 'ioredis'

const [kind, where, config, api, duration, buffer] = process.argv.slice(2) as string[]
const redis = kind === 'redis' ? new Redis(where!) : undefined
const store: TokenStore = redis ? new RedisTokenStore({ client: redis, key: 'bench' }) : new FileTokenStore({ path: where })
const manager = new TokenManager({ tokenStorage: store, oauthConfig: JSON.parse(config!), expiryBufferSeconds: Number(buffer) })
console.log(JSON.stringify(await runRefresher(manager, createOAuthFetch(manager), api!, Number(duration))))
redis?.disconnect()
