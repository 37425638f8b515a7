// The account endpoints on the API host: profile, usage and API-key creation.
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { b64url, json, type Login, type State } from './state.js'

const scopeRefusal = (res: ServerResponse, required: string[], anyOf: boolean) =>
  json(res, 403, {
    type: 'error',
    error: {
      type: 'permission_error',
      message: `OAuth token does not meet scope requirement ${anyOf ? `any_of(${required.join(', ')})` : required[0]}`,
      details: { required_scopes: required, match: 'any', error_code: 'oauth_scope_insufficient' },
    },
    request_id: 'req_standin',
  })


/** The account endpoints, for a valid OAuth access token of `login`. */
export function account(s: State, req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, unknown>, login: Login): boolean {
  const scopes = login.scope.split(' ')
  const who = s.standIn.accounts.get(login.email)!
  if (path === '/api/oauth/profile' && req.method === 'GET') {
    if (!scopes.includes('user:profile') && !scopes.includes('user:office')) return scopeRefusal(res, ['user:profile', 'user:office'], true), true
    const org = who.organization
    json(res, 200, {
      account: { uuid: who.uuid, email: who.email, display_name: who.displayName, created_at: '2025-01-01T00:00:00Z', has_claude_max: who.hasClaudeMax, has_claude_pro: who.hasClaudePro },
      organization: { uuid: org.uuid, name: org.name, organization_type: org.organization_type, rate_limit_tier: org.rate_limit_tier, billing_type: org.billing_type, subscription_created_at: null },
    })
    return true
  }
  if (path === '/api/oauth/usage' && req.method === 'GET') {
    if (s.standIn.usageFailure) return json(res, s.standIn.usageFailure.status, s.standIn.usageFailure.body, s.standIn.usageFailure.headers), true
    if (!scopes.includes('user:profile')) return scopeRefusal(res, ['user:profile'], false), true
    json(res, 200, who.usage)
    return true
  }
  if (path === '/api/oauth/claude_cli/create_api_key' && req.method === 'POST') {
    if (!scopes.includes('org:create_api_key')) return scopeRefusal(res, ['org:create_api_key'], false), true
    if (who.organization.organization_type.startsWith('claude_')) {
      json(res, 403, { type: 'error', error: { type: 'permission_error', message: 'This organization cannot create API keys.' }, request_id: 'req_standin' })
      return true
    }
    const key = `sk-ant-api03-${b64url(randomBytes(32))}`
    s.apiKeys.set(key, who.email)
    s.standIn.createdKeys.push({ email: who.email, body })
    json(res, 200, { raw_key: key })
    return true
  }
  return false
}

