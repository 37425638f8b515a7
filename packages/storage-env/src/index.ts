export { EnvTokenStore, loadTokensFromEnv, type Env } from './env-store.js'
