// The token endpoint: both grants, for Claude Code's client and Anthropic's CLI, with rotation.
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { tokenFault } from './faults.js'
import { ANT_CLI_CLIENT_ID, b64url, CLAUDE_CODE_CLIENT_ID, issue, json, type Login, type StandInHost, type State } from './state.js'

const invalidGrant = (s: State, res: ServerResponse, description: string) => {
  s.standIn.invalidGrants++
  json(res, 400, { error: 'invalid_grant', error_description: description })
}


/** What the token endpoint refuses of Anthropic's CLI client before looking at the grant, or undefined. */
function antCliRefusal(host: StandInHost, req: IncomingMessage, body: Record<string, unknown>): { status: number; body: unknown } | undefined {
  if (host !== 'api') return { status: 401, body: { error: 'invalid_client', error_description: 'Client not found' } }
  const type = String(req.headers['content-type'])
  const beta = req.headers['anthropic-beta']
  if (body.grant_type === 'authorization_code') {
    if (!type.startsWith('application/x-www-form-urlencoded')) return { status: 400, body: { error: 'invalid_request', error_description: 'Invalid request format' } }
    if (beta !== undefined) return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Only the jwt-bearer grant is supported here' } }
    if (body.state === undefined) return { status: 400, body: { error: 'invalid_request', error_description: 'oauth_request_parse_error: state is required' } }
  }
  if (body.grant_type === 'refresh_token') {
    if (!type.startsWith('application/json')) return { status: 400, body: { error: 'invalid_request', error_description: 'Invalid request format' } }
    if (!String(beta ?? '').split(',').includes('oauth-2025-04-20')) return { status: 400, body: { error: 'invalid_request', error_description: 'anthropic-beta oauth-2025-04-20 is required' } }
  }
  return undefined
}


export function token(s: State, host: StandInHost, req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) {
  if (tokenFault(s, req, res)) return
  if (body.client_id === ANT_CLI_CLIENT_ID) {
    const refusal = antCliRefusal(host, req, body)
    if (refusal) return json(res, refusal.status, refusal.body)
  } else {
    if (!String(req.headers['content-type']).startsWith('application/json')) return json(res, 400, { error: 'invalid_request', error_description: 'Invalid request format' })
    if (body.client_id !== CLAUDE_CODE_CLIENT_ID) return json(res, 401, { error: 'invalid_client', error_description: 'Client not found' })
  }
  if (body.grant_type === 'authorization_code') {
    const pending = s.codes.get(String(body.code ?? ''))
    s.codes.delete(String(body.code ?? '')) // once, whatever happens next
    if (!pending) return invalidGrant(s, res, 'Invalid authorization code')
    if (pending.client !== body.client_id) return invalidGrant(s, res, 'Invalid authorization code')
    const challenge = b64url(createHash('sha256').update(String(body.code_verifier ?? '')).digest())
    if (challenge !== pending.challenge) return invalidGrant(s, res, 'Invalid code verifier')
    if (body.state !== pending.state) return invalidGrant(s, res, 'Invalid state')
    if (body.redirect_uri !== pending.redirectUri) return invalidGrant(s, res, 'Redirect URI mismatch')
    const login: Login = { live: true, scope: pending.scope, email: pending.email, client: pending.client, ...(pending.workspace ? { workspace: pending.workspace } : {}) }
    if (body.expires_in !== undefined) {
      if (typeof body.expires_in !== 'number' || !Number.isInteger(body.expires_in) || body.expires_in <= 0) {
        return json(res, 400, { error: 'invalid_request', error_description: 'Invalid expires_in' })
      }
      return json(res, 200, issue(s, login, body.expires_in, false))
    }
    return json(res, 200, issue(s, login, s.standIn.accessTokenTtlSeconds, true))
  }
  if (body.grant_type === 'refresh_token') {
    if (body.scope !== undefined) return json(res, 400, { error: 'invalid_scope', error_description: 'The requested scope is invalid, unknown, or malformed.' })
    const entry = s.refresh.get(String(body.refresh_token ?? ''))
    if (!entry || !entry.login.live || entry.login.client !== body.client_id) return invalidGrant(s, res, 'Refresh token not found or invalid')
    if (!entry.live) {
      // Reuse of a rotated token: the whole login is revoked, access tokens included (unless
      // `revokeOnReuse` is off, to count reuses without ending the run).
      s.standIn.reuses++
      if (s.standIn.revokeOnReuse) entry.login.live = false
      return invalidGrant(s, res, 'Refresh token not found or invalid')
    }
    entry.live = false
    s.standIn.refreshesByAccount[entry.login.email] = (s.standIn.refreshesByAccount[entry.login.email] ?? 0) + 1
    return json(res, 200, issue(s, entry.login, s.standIn.accessTokenTtlSeconds, true))
  }
  return json(res, 400, { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' })
}

