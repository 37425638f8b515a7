// token-server.ts (bundled and run with node by the bench): a minimal rotating OAuth token
// endpoint for many logins, in a process of its own. Refresh token `rt-<login>-<n>` is good once:
// it returns `rt-<login>-<n+1>` and an access token living <ttl> seconds; a refresh token already
// spent is `invalid_grant`, as a rotating server with reuse detection answers. Prints its port;
// GET /stats gives { refreshes, invalidGrants, requests }.
import { createServer } from 'node:http'

const ttl = Number(process.argv[2] ?? 10)
const current = new Map<string, number>()
let refreshes = 0
let invalidGrants = 0
let requests = 0
const server = createServer((req, res) => {
  if (req.url === '/stats') return res.end(JSON.stringify({ refreshes, invalidGrants, requests }))
  let body = ''
  req.on('data', (d) => (body += d))
  req.on('end', () => {
    requests++
    const form = new URLSearchParams(body)
    const presented = form.get('refresh_token') ?? (JSON.parse(body || '{}') as { refresh_token?: string }).refresh_token ?? ''
    const [, login, n] = /^rt-(.+)-(\d+)$/.exec(presented) ?? []
    const generation = Number(n)
    if (login === undefined || (current.get(login) ?? 0) !== generation) {
      invalidGrants++
      res.writeHead(400, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'refresh token already used' }))
    }
    current.set(login, generation + 1)
    refreshes++
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ access_token: `at-${login}-${generation + 1}`, refresh_token: `rt-${login}-${generation + 1}`, token_type: 'Bearer', expires_in: ttl, scope: 'read' }))
  })
})
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })))
