export { PostgresTokenStore, type PostgresTokenStoreOptions } from './postgres-store.js'
export { migrate, migrationSql, type PostgresClientLike, type PostgresPoolLike } from './sql.js'
