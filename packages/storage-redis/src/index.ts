export { RedisTokenStore, type RedisClientLike, type RedisCommand, type RedisTokenStoreOptions } from './redis-store.js'
