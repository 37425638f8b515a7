// The Messages API (and its neighbours) on the API host, behind the bearer-token check.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { account } from './account-endpoints.js'
import { policyRefusal } from './faults.js'
import { json, notFound, type Login, type State } from './state.js'

export function api(s: State, req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, unknown>, valid: boolean, login?: Login) {
  if (login && s.reject === 0 && valid && path.startsWith('/api/oauth/') && s.standIn.accountDelayMs > 0) {
    const delay = s.standIn.accountDelayMs
    return void setTimeout(() => account(s, req, res, path, body, login) || notFound(res), delay)
  }
  if (login && s.reject === 0 && valid && account(s, req, res, path, body, login)) return
  if (path.startsWith('/api/oauth/') && valid && !login) return json(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'OAuth token required' } })
  if (s.reject > 0 || !valid) {
    if (s.reject > 0) s.reject--
    return json(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'Invalid bearer token' } })
  }
  if (policyRefusal(s, res)) return
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
  return notFound(res)
}

