export { CLIENT_ID, REDIRECT_URI, startAuthorizationServer, type AuthorizationServer, type AuthorizationServerOptions } from './authorization-server.js'
