export { DurableObjectTokenStore, type DurableObjectStorageLike, type DurableObjectTokenStoreOptions } from './durable-object-store.js'
export { TokenSession, TokenSessionError, TokenSessionObject, type DurableObjectStubLike, type SessionAccessToken, type SessionTokenManager } from './session.js'
