import { assertConfigFields, type OAuthConfig } from './config.js'
import { timingSafeEqual } from './encoding.js'
import {
  ERR_INVALID_ARG_TYPE,
  invalidArgument,
  OAUTH_AUTHORIZATION_DENIED,
  OAUTH_AUTHORIZATION_FAILED,
  OAUTH_INVALID_AUTH_CODE,
  OAUTH_STATE_MISMATCH,
  OAuthFlowError,
} from './errors.js'
import { generatePkce, generateState } from './pkce.js'

/** What to keep between sending the user to the authorization URL and exchanging the code. */
export interface OAuthState {
  codeVerifier: string
  state: string
}

/** The result of {@link buildAuthorizationUrl}. */
export interface AuthorizationRequest {
  /** Send the user here. */
  url: string
  /** Keep this (server side, or in a signed cookie) for the code exchange. */
  oauthState: OAuthState
}

/** The result of {@link parseAuthCode}. */
export interface AuthCode {
  code: string
  state: string
}

/**
 * Builds the authorization URL with a new PKCE verifier and a new random state.
 * Anthropic's subscription login is `buildAuthorizationUrl(ANTHROPIC_OAUTH_CONFIG)` (`@oauth/anthropic`).
 *
 * @example
 * ```ts
 * import { buildAuthorizationUrl } from '@oauth/core'
 * const { url, oauthState } = await buildAuthorizationUrl({
 *   clientId: 'my-app',
 *   authorizeUrl: 'https://id.example/authorize',
 *   tokenUrl: 'https://id.example/token',
 *   redirectUri: 'https://app.example/callback',
 * })
 * console.log(`Open ${url} and paste the code shown`)
 * ```
 */
export async function buildAuthorizationUrl(config: OAuthConfig): Promise<AuthorizationRequest> {
  // Only the fields this uses, so a browser bundle does not carry resolveConfig (nor the check
  // of a token endpoint that a browser may never call itself).
  assertConfigFields(config, ['clientId', 'authorizeUrl', 'redirectUri'])
  const { codeVerifier, codeChallenge } = await generatePkce()
  const state = generateState()
  const url = new URL(config.authorizeUrl)
  const params: Record<string, string | undefined> = {
    ...config.authorizeParams,
    client_id: config.clientId,
    response_type: 'code',
    redirect_uri: config.redirectUri,
    scope: config.scopes,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state,
    resource: config.resource,
  }
  for (const [key, value] of Object.entries(params)) if (value) url.searchParams.set(key, value)
  return { url: url.href, oauthState: { codeVerifier, state } }
}

/**
 * Parses what the user pasted: `code#state` (as the Anthropic callback page shows it),
 * or the whole callback URL (`…?code=…&state=…`), with surrounding whitespace ignored.
 * An `error=access_denied` callback becomes `OAUTH_AUTHORIZATION_DENIED` (the user said no);
 * any other `error=` (`invalid_request`, `invalid_scope`, …) is `OAUTH_AUTHORIZATION_FAILED`
 * (the request was wrong), with the server's `error_description`, made safe for a terminal, in
 * the message. Anything else that is not a code and a state is `OAUTH_INVALID_AUTH_CODE`.
 * Nothing pasted is echoed back in messages.
 *
 * @example
 * ```ts
 * import { parseAuthCode } from '@oauth/core'
 * parseAuthCode('  abc123#xyz789\n') // → { code: 'abc123', state: 'xyz789' }
 * parseAuthCode('http://127.0.0.1:8976/callback?code=abc123&state=xyz789') // → the same
 * ```
 */
export function parseAuthCode(raw: string): AuthCode {
  // A wrong argument is the caller's bug, not a bad paste (the README's promise for bad arguments).
  if (typeof raw !== 'string') throw invalidArgument(ERR_INVALID_ARG_TYPE, 'parseAuthCode takes a string.')
  const text = raw.trim()
  let parts: (string | null | undefined)[]
  if (text.includes('://') && URL.canParse(text)) {
    const params = new URL(text).searchParams
    const error = params.get('error')
    if (error !== null) throw authorizationError(error, params.get('error_description'))
    parts = [params.get('code'), params.get('state')]
  } else {
    parts = text.split('#')
  }
  const [code, state] = parts
  if (!code || !state || parts.length !== 2 || /\s/.test(text)) {
    throw new OAuthFlowError(
      OAUTH_INVALID_AUTH_CODE,
      `Not a \`code#state\` or callback URL (${text.length} characters): paste all of it.`,
    )
  }
  return { code, state }
}

/**
 * The callback's `error` as a typed error. Network text (it may reach a terminal): RFC 6749
 * §4.1.2.1 allows only printable ASCII in `error` and `error_description`, so anything else (an
 * escape sequence that would clear a terminal, say) becomes a space, and it is shortened.
 */
function authorizationError(error: string, description: string | null): OAuthFlowError {
  const clean = (text: string, max: number) => text.slice(0, max).replace(/[^ -~]/g, ' ') // [^\x20-\x7e]
  const said = `${clean(error, 60) || 'no error code'}${description ? `: ${clean(description, 200)}` : ''}`
  const denied = error === 'access_denied'
  return new OAuthFlowError(
    denied ? OAUTH_AUTHORIZATION_DENIED : OAUTH_AUTHORIZATION_FAILED,
    `Authorization ${denied ? 'declined' : 'refused'} (${said}): ${denied ? 'log in again to approve it' : 'check the client ID, redirect URI and scopes'}.`,
  )
}

/**
 * Throws `OAUTH_STATE_MISMATCH` unless `received` equals the state that was sent,
 * compared in constant time. Call it before any network request: a mismatch means the
 * code came from another login (or an attacker), and must not be spent.
 *
 * @example
 * ```ts
 * import { assertStateMatches, buildAuthorizationUrl, parseAuthCode } from '@oauth/core'
 * const { oauthState } = await buildAuthorizationUrl(config)
 * const { code, state } = parseAuthCode(`abc#${oauthState.state}`)
 * assertStateMatches(oauthState, state) // passes
 * ```
 */
export function assertStateMatches(expected: OAuthState, received: string): void {
  if (typeof received !== 'string' || !timingSafeEqual(expected.state, received)) {
    throw new OAuthFlowError(
      OAUTH_STATE_MISMATCH,
      'State mismatch: this code belongs to another login attempt. Start the login again.',
    )
  }
}
