// An MCP client on @oauth/mcp, written to be run by the official conformance suite
// (@modelcontextprotocol/conformance): `client.ts <server-url>`, with the scenario's name in
// MCP_CONFORMANCE_SCENARIO and its context (client credentials, an identity assertion) in
// MCP_CONFORMANCE_CONTEXT. Every scenario runs the same program: connect, list the tools, call
// them; what differs is only how this client is registered at the authorization server.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { McpOAuth, type McpOAuthOptions } from '@oauth/mcp'

const server = process.argv.at(-1)!
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? ''
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as Record<string, string>

/** The user at the authorization page: the suite's page redirects at once, with the code. */
async function authorize(url: string): Promise<string> {
  const response = await fetch(url, { redirect: 'manual' })
  const location = response.headers.get('location')
  if (!location) throw new Error(`the authorization page answered ${response.status} without a redirect`)
  return new URL(location, url).href
}

/** A PKCS #8 PEM private key as a CryptoKey (for private_key_jwt). */
async function importPem(pem: string, algorithm: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
  const params = algorithm === 'ES256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  return crypto.subtle.importKey('pkcs8', der, params, false, ['sign'])
}

async function options(): Promise<McpOAuthOptions> {
  const base: McpOAuthOptions = { server, clientName: 'oauth-mcp-conformance', clientMetadataUrl: 'https://conformance-test.local/client-metadata.json', authorize }
  if (context.private_key_pem) {
    const key = await importPem(context.private_key_pem, context.signing_algorithm ?? 'ES256')
    return { ...base, clientCredentials: true, client: { clientId: context.client_id!, clientPrivateKey: key, clientAuthMethod: 'private_key_jwt' } }
  }
  if (context.idp_id_token) {
    return {
      ...base,
      client: { clientId: context.client_id!, clientSecret: context.client_secret!, clientAuthMethod: 'client_secret_basic' },
      identityAssertion: async () => ({ idToken: context.idp_id_token!, tokenEndpoint: context.idp_token_endpoint!, clientId: context.idp_client_id! }),
    }
  }
  if (scenario.startsWith('auth/client-credentials')) return { ...base, clientCredentials: true, client: { clientId: context.client_id!, clientSecret: context.client_secret! } }
  if (context.client_id) return { ...base, client: { clientId: context.client_id, ...(context.client_secret ? { clientSecret: context.client_secret } : {}) } }
  return base
}

const auth = new McpOAuth(await options())
const client = new Client({ name: 'oauth-mcp-conformance', version: '1.0.0' }, { capabilities: { elicitation: { form: { applyDefaults: true } } } })
// Elicitations are accepted with no content: the SDK fills in the schema's defaults.
client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept' as const, content: {} }))
// The server's notification stream. After a 202 to `notifications/initialized`, the SDK opens it
// with a GET it does not wait for. A server may send a request that belongs to no call of ours on
// that stream only: the conformance suite's elicitation-sep1034 server sends `elicitation/create`
// with `Server.request()` (no related request), and the SDK's server transport drops such a
// message while the stream is not open yet (webStandardStreamableHttp.js `send()`, SDK 1.32.2), so
// a tool called before the GET was answered waited forever (CI, 2026-12-06, Node 24, a busy
// machine: "Client timed out after 30000ms"). A client that must hear its server waits for the
// stream to be answered (opened, or refused with 405) before it calls anything.
let streamExpected = false
let streamAnswered!: () => void
const stream = new Promise<void>((resolve) => (streamAnswered = resolve))
const transportFetch: typeof fetch = async (input, init) => {
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
  try {
    const response = await auth.fetch(input, init)
    if (method === 'POST' && response.status === 202 && String(init?.body).includes('"notifications/initialized"')) streamExpected = true
    return response
  } finally {
    if (method === 'GET') streamAnswered()
  }
}
const transport = new StreamableHTTPClientTransport(new URL(server), { fetch: transportFetch })
await client.connect(transport)
if (streamExpected) await Promise.race([stream, new Promise((resolve) => setTimeout(resolve, 10_000).unref())])
const { tools } = await client.listTools()
for (const tool of tools) {
  const properties = (tool.inputSchema?.properties ?? {}) as Record<string, { type?: string }>
  const args = Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, schema.type === 'number' || schema.type === 'integer' ? 1 : 'x']))
  await client.callTool({ name: tool.name, arguments: args })
}
await transport.close()
