// The codes of the errors this package raises (as `OAuthFlowError`s of @oauth/core).

/** The protected resource metadata names another resource than the server asked (RFC 9728 §3.3): nothing is sent to its authorization server. */
export const MCP_RESOURCE_MISMATCH = 'MCP_RESOURCE_MISMATCH'
/** The authorization response names another issuer than the server the request went to (RFC 9207), or omits one it promised. */
export const MCP_ISSUER_MISMATCH = 'MCP_ISSUER_MISMATCH'
/** No way to be a client at this authorization server: no client ID metadata document support, no registration endpoint, no pre-registered client. */
export const MCP_NO_CLIENT = 'MCP_NO_CLIENT'
/** A client registration (RFC 7591) was refused or its answer was not usable. */
export const MCP_REGISTRATION_FAILED = 'MCP_REGISTRATION_FAILED'
/** The server still refuses after a login (or a step-up) and a retry: another login would not help. */
export const MCP_UNAUTHORIZED = 'MCP_UNAUTHORIZED'
/** A login is needed and this program gave no way to run one (`authorize`, `login`, client credentials or an identity assertion). */
export const MCP_LOGIN_REQUIRED = 'MCP_LOGIN_REQUIRED'
