export { CLIENT_ID, REDIRECT_URI, startAuthorizationServer, type AuthorizationServer, type AuthorizationServerOptions } from './authorization-server.js'
export { describeTokenStoreConformance, sampleTokens, type StoreCapabilities, type StoreUnderTest } from './store-conformance.js'
export { bundleNodeScript, runNodeScript, startNodeScript } from './node-script.js'
