// The control: an MCP client written the way the MCP TypeScript SDK's own examples write one
// (@modelcontextprotocol/sdk 1.32.2, src/examples/client/simpleOAuthClient.ts and
// simpleClientCredentials.ts): the SDK's OAuthClientProvider with tokens in memory, the
// authorization code handed to `transport.finishAuth` and a reconnect after UnauthorizedError,
// and the SDK's ClientCredentialsProvider and PrivateKeyJwtProvider. No code of ours. The
// conformance suite runs it as it runs client.ts, so the README can show where each stands.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import { ClientCredentialsProvider, PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { InMemoryOAuthClientProvider } from '@modelcontextprotocol/sdk/examples/client/simpleOAuthClientProvider.js'
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'

const server = process.argv.at(-1)!
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? ''
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as Record<string, string>
const CALLBACK_URL = 'http://localhost:8090/callback'

let code: Promise<string | undefined> | undefined
function provider(): OAuthClientProvider {
  if (context.private_key_pem) return new PrivateKeyJwtProvider({ clientId: context.client_id!, privateKey: context.private_key_pem, algorithm: context.signing_algorithm ?? 'ES256' })
  if (scenario.startsWith('auth/client-credentials')) return new ClientCredentialsProvider({ clientId: context.client_id!, clientSecret: context.client_secret! })
  const p = new InMemoryOAuthClientProvider(
    CALLBACK_URL,
    { client_name: 'Simple OAuth MCP Client', redirect_uris: [CALLBACK_URL], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' },
    // The browser: the suite's page redirects at once; the example's callback server would receive this code.
    (url) => {
      code = fetch(url, { redirect: 'manual' }).then((r) => new URL(r.headers.get('location')!).searchParams.get('code') ?? undefined)
    },
    'https://conformance-test.local/client-metadata.json',
  )
  if (context.client_id) p.saveClientInformation({ client_id: context.client_id, client_secret: context.client_secret, redirect_uris: [CALLBACK_URL] })
  return p
}

const oauth = provider()
const client = new Client({ name: 'simple-oauth-client', version: '1.0.0' }, { capabilities: { elicitation: { form: { applyDefaults: true } } } })
client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept' as const, content: {} }))

async function attemptConnection(): Promise<StreamableHTTPClientTransport> {
  const transport = new StreamableHTTPClientTransport(new URL(server), { authProvider: oauth })
  try {
    await client.connect(transport)
    return transport
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error
    const received = await code
    code = undefined
    if (!received) throw error
    await transport.finishAuth(received)
    return attemptConnection()
  }
}

const transport = await attemptConnection()
const { tools } = await client.listTools()
for (const tool of tools) {
  const properties = (tool.inputSchema?.properties ?? {}) as Record<string, { type?: string }>
  const args = Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, schema.type === 'number' || schema.type === 'integer' ? 1 : 'x']))
  await client.callTool({ name: tool.name, arguments: args })
}
await transport.close()
