// A local stand-in for Anthropic's OAuth token endpoint and Messages API, on 127.0.0.1.
// The token endpoint speaks the preset's wire format (JSON body with state) and rotates
// refresh tokens, revoking the login on reuse; the API accepts only live tokens it issued
// and records every request it received.
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ANTHROPIC_OAUTH_CONFIG, type OAuthConfig } from '@oauth/core'

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string | string[] | undefined>
  body: unknown
}

export interface AnthropicStandIn {
  url: string
  /** The Anthropic preset pointed at this stand-in's token endpoint. */
  config: OAuthConfig
  /** Every API request (not token requests), in order. */
  apiRequests: RecordedRequest[]
  /** Every token-endpoint request, in order. */
  tokenRequests: RecordedRequest[]
  /** Issues an authorization code for `codeChallenge` (as the consent page would) and returns it. */
  issueCode(codeChallenge: string, state: string): string
  /** Answers the next N API requests with 401, whatever the token. */
  rejectNext(n: number): void
  /** How many times the token endpoint answered invalid_grant. */
  invalidGrants: number
  /** Access tokens issued from now on live this long. */
  accessTokenTtlSeconds: number
  /** Answers token requests with this status and body instead, while set. */
  tokenFailure?: { status: number; body: unknown; headers?: Record<string, string> }
  close(): Promise<void>
}

const b64url = (buf: Buffer) => buf.toString('base64url')

export interface AnthropicStandInOptions {
  /** Accept API bearer tokens this says are valid (e.g. checked at another server's userinfo endpoint). */
  verifyToken?: (token: string) => Promise<boolean>
}

export async function startAnthropicStandIn(options: AnthropicStandInOptions = {}): Promise<AnthropicStandIn> {
  const codes = new Map<string, { challenge: string; state: string }>()
  const access = new Map<string, number>() // token → expiry (ms)
  const refresh = new Map<string, { live: boolean }>()
  let reject = 0
  const http = createServer()
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`

  const issue = () => {
    const accessToken = `sk-ant-oat01-${b64url(randomBytes(24))}`
    const refreshToken = `sk-ant-ort01-${b64url(randomBytes(24))}`
    access.set(accessToken, Date.now() + standIn.accessTokenTtlSeconds * 1000)
    refresh.set(refreshToken, { live: true })
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      expires_in: standIn.accessTokenTtlSeconds,
      token_type: 'Bearer',
      scope: 'user:inference user:profile',
      organization: { uuid: 'org-0001', name: 'Stand-in Org' },
      account: { uuid: 'acct-0001', email_address: 'dev@example.com' },
    }
  }
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
  const invalidGrant = (res: ServerResponse, why: string) => {
    standIn.invalidGrants++
    json(res, 400, { error: 'invalid_grant', error_description: why })
  }

  async function token(req: IncomingMessage, res: ServerResponse, body: Record<string, string>) {
    if (standIn.tokenFailure) return json(res, standIn.tokenFailure.status, standIn.tokenFailure.body, standIn.tokenFailure.headers)
    if (!String(req.headers['content-type']).startsWith('application/json')) return json(res, 415, { error: 'invalid_request', error_description: 'JSON body expected' })
    if (body.client_id !== ANTHROPIC_OAUTH_CONFIG.clientId) return json(res, 401, { error: 'invalid_client' })
    if (body.grant_type === 'authorization_code') {
      const pending = codes.get(body.code ?? '')
      codes.delete(body.code ?? '')
      if (!pending) return invalidGrant(res, 'unknown or used code')
      const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body.code_verifier ?? '')).then(Buffer.from))
      if (challenge !== pending.challenge) return invalidGrant(res, 'PKCE verification failed')
      if (body.state !== pending.state) return invalidGrant(res, 'state mismatch')
      if (body.redirect_uri !== ANTHROPIC_OAUTH_CONFIG.redirectUri) return invalidGrant(res, 'redirect_uri mismatch')
      return json(res, 200, issue())
    }
    if (body.grant_type === 'refresh_token') {
      const entry = refresh.get(body.refresh_token ?? '')
      if (!entry) return invalidGrant(res, 'unknown refresh token')
      if (!entry.live) {
        // Reuse of a rotated token: revoke everything, as rotating servers do.
        for (const r of refresh.values()) r.live = false
        access.clear()
        return invalidGrant(res, 'refresh token reused')
      }
      entry.live = false
      return json(res, 200, issue())
    }
    return json(res, 400, { error: 'unsupported_grant_type' })
  }

  async function api(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, unknown>) {
    const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '')
    const expiry = access.get(bearer)
    const valid = options.verifyToken ? await options.verifyToken(bearer) : expiry !== undefined && expiry >= Date.now()
    if (reject > 0 || !valid) {
      if (reject > 0) reject--
      return json(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'invalid bearer token' } })
    }
    const usage = { input_tokens: 5, output_tokens: 3 }
    const message = { id: 'msg_standin', type: 'message', role: 'assistant', model: body.model ?? 'claude-test', content: [{ type: 'text', text: 'Hello from the stand-in' }], stop_reason: 'end_turn', stop_sequence: null, usage }
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, { data: [{ type: 'model', id: 'claude-test', display_name: 'Claude Test', created_at: '2026-01-01T00:00:00Z' }], has_more: false, first_id: 'claude-test', last_id: 'claude-test' })
    }
    if (path === '/v1/messages/count_tokens') return json(res, 200, { input_tokens: 42 })
    if (path === '/v1/messages/batches' && req.method === 'GET') return json(res, 200, { data: [], has_more: false, first_id: null, last_id: null })
    if (path === '/v1/messages' && body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
      send('message_start', { type: 'message_start', message: { ...message, content: [], usage: { input_tokens: 5, output_tokens: 0 } } })
      send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
      for (const piece of ['Hello ', 'from the ', 'stand-in']) send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } })
      send('content_block_stop', { type: 'content_block_stop', index: 0 })
      send('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } })
      send('message_stop', { type: 'message_stop' })
      return res.end()
    }
    if (path === '/v1/messages') return json(res, 200, message)
    return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: path } })
  }

  http.on('request', (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const u = new URL(req.url ?? '/', url)
      let body: Record<string, unknown> = {}
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {}
      } catch {
        body = { raw: Buffer.concat(chunks).toString('utf8') }
      }
      const record: RecordedRequest = { method: req.method ?? '', path: u.pathname, query: Object.fromEntries(u.searchParams), headers: { ...req.headers }, body }
      if (u.pathname === '/v1/oauth/token') {
        standIn.tokenRequests.push(record)
        token(req, res, body as Record<string, string>).catch((err) => json(res, 500, { error: 'server_error', error_description: String(err) }))
      } else {
        standIn.apiRequests.push(record)
        api(req, res, u.pathname, body).catch((err) => json(res, 500, { type: 'error', error: { type: 'api_error', message: String(err) } }))
      }
    })
  })

  const standIn: AnthropicStandIn = {
    url,
    config: { ...ANTHROPIC_OAUTH_CONFIG, tokenUrl: `${url}/v1/oauth/token` },
    apiRequests: [],
    tokenRequests: [],
    accessTokenTtlSeconds: 3600,
    invalidGrants: 0,
    issueCode(challenge, state) {
      const code = b64url(randomBytes(16))
      codes.set(code, { challenge, state })
      return code
    },
    rejectNext(n) {
      reject = n
    },
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections()
        http.close(() => resolve())
      }),
  }
  return standIn
}
