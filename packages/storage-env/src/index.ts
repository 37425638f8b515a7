export { EnvTokenStore, loadTokensFromEnv, type Env, type EnvTokenStoreOptions } from './env-store.js'
