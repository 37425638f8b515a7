// Which client this program is at an authorization server: one registered beforehand, else its
// client ID metadata document URL where the server supports those, else one registered
// dynamically (RFC 7591) and kept for the next run.
import { OAuthFlowError, sanitizeText, type ClientAuthMethod } from '@oauth/core'
import { readCapped, requestSignal } from '@oauth/http'
import type { McpAuthorization } from './discovery.js'
import { MCP_NO_CLIENT, MCP_REGISTRATION_FAILED } from './errors.js'
import { keyFor, type McpLogins } from './logins.js'

/** A client at an authorization server. */
export interface McpClient {
  clientId: string
  /** For a confidential client (`client_secret_basic` or `client_secret_post`). */
  clientSecret?: string
  /** For `private_key_jwt` (RFC 7523): a `CryptoKey` or a private JWK. */
  clientPrivateKey?: CryptoKey | JsonWebKey
  /** Default: `private_key_jwt` with a key, `client_secret_basic` with a secret, else `none`. */
  clientAuthMethod?: ClientAuthMethod
}

interface Registering {
  client?: McpClient
  clientMetadataUrl?: string
  clientName: string
  redirectUri: string
  grantTypes: string[]
  fetch: typeof fetch
}

const list = (value: unknown): string[] | undefined => (Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined)

/** The method a registration asks for: none (a public client, as a CLI is) where the server allows it. */
function authMethod(metadata: Record<string, unknown>): ClientAuthMethod {
  // RFC 8414 §2: client_secret_basic when the server does not say.
  const supported = list(metadata.token_endpoint_auth_methods_supported) ?? ['client_secret_basic']
  for (const method of ['none', 'client_secret_basic', 'client_secret_post'] as const) if (supported.includes(method)) return method
  return 'client_secret_basic'
}

export async function registeredClient(auth: McpAuthorization, logins: McpLogins, r: Registering): Promise<McpClient> {
  if (r.client) return r.client
  const m = auth.metadata
  if (m.client_id_metadata_document_supported === true && r.clientMetadataUrl) return { clientId: r.clientMetadataUrl, clientAuthMethod: 'none' }
  const key = await keyFor(auth.issuer, 'client', r.redirectUri)
  const kept = (await logins.read(key)) as McpClient | undefined
  if (kept && typeof kept.clientId === 'string') return kept
  const endpoint = typeof m.registration_endpoint === 'string' ? m.registration_endpoint : undefined
  if (!endpoint) {
    throw new OAuthFlowError(
      MCP_NO_CLIENT,
      `${auth.issuer} supports neither client ID metadata documents${r.clientMetadataUrl ? '' : ' (no clientMetadataUrl given)'} nor dynamic registration: register a client there and pass it as \`client\`.`,
    )
  }
  const method = authMethod(m)
  let response: Response
  let text: string
  try {
    response = await r.fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        client_name: r.clientName,
        redirect_uris: [r.redirectUri],
        grant_types: r.grantTypes,
        response_types: r.grantTypes.includes('authorization_code') ? ['code'] : [],
        token_endpoint_auth_method: method,
      }),
      signal: requestSignal(30_000),
    })
    text = await readCapped(response, 64 * 1024)
  } catch (err) {
    throw new OAuthFlowError(MCP_REGISTRATION_FAILED, `Cannot register at ${sanitizeText(endpoint, 200)}: ${sanitizeText(err instanceof Error ? err.message : String(err), 200)}.`, { cause: err })
  }
  let body: Record<string, unknown> | undefined
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    // reported below
  }
  if (response.status !== 201 && response.status !== 200) {
    const said = typeof body?.error === 'string' ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}` : `HTTP ${response.status}`
    throw new OAuthFlowError(MCP_REGISTRATION_FAILED, `${sanitizeText(endpoint, 200)} refused the registration (${sanitizeText(said, 300)}).`)
  }
  if (typeof body?.client_id !== 'string' || !body.client_id) throw new OAuthFlowError(MCP_REGISTRATION_FAILED, `${sanitizeText(endpoint, 200)} answered the registration without a client_id (RFC 7591 §3.2.1).`)
  const secret = typeof body.client_secret === 'string' && body.client_secret ? body.client_secret : undefined
  const said = typeof body.token_endpoint_auth_method === 'string' ? (body.token_endpoint_auth_method as ClientAuthMethod) : method
  const client: McpClient = { clientId: body.client_id, ...(secret ? { clientSecret: secret } : {}), clientAuthMethod: said.startsWith('client_secret') && !secret ? 'none' : said }
  await logins.write(key, client)
  return client
}
