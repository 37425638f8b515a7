// MCP authorization discovery (2025-11-25): the protected resource metadata (RFC 9728), then
// the authorization server's (RFC 8414 / OpenID Connect), with the 2025-03-26 fallbacks for
// servers that publish no resource metadata.
import { OAuthFlowError, sanitizeText } from '@oauth/core'
import { discoverAuthorizationServer, fetchMetadata, type MetadataOptions } from '@oauth/http'
import { MCP_RESOURCE_MISMATCH } from './errors.js'

/** Where an MCP server sends its clients to log in, and what it asks of them. */
export interface McpAuthorization {
  /** The resource identifier (RFC 8707) tokens are asked for; `undefined` for a 2025-03-26 server without resource metadata. */
  resource?: string
  /** The authorization server's issuer identifier (its base URL, for a 2025-03-26 server). */
  issuer: string
  /** Its metadata (RFC 8414), or the 2025-03-26 default endpoints when it publishes none. */
  metadata: Record<string, unknown>
  /** The protected resource metadata, when the server publishes it. */
  resourceMetadata?: Record<string, unknown>
  /** Whether the issuer was checked against the metadata (false only for 2025-03-26 servers). */
  issuerChecked: boolean
}

const string = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined)

/**
 * Whether `resource` (from the resource metadata) may stand for `serverUrl`: the same origin,
 * and the server's path within the resource's (RFC 9728 §3.3, MCP 2025-11-25 "Resource Parameter").
 */
export function resourceCovers(resource: string, serverUrl: URL): boolean {
  if (!URL.canParse(resource)) return false
  const r = new URL(resource)
  if (r.origin !== serverUrl.origin) return false
  const base = r.pathname.endsWith('/') ? r.pathname : `${r.pathname}/`
  const path = serverUrl.pathname.endsWith('/') ? serverUrl.pathname : `${serverUrl.pathname}/`
  return path.startsWith(base)
}

/**
 * Finds the authorization server of an MCP server. The resource metadata is read where the
 * 401's `resource_metadata` points, else at `/.well-known/oauth-protected-resource/<path>`, then
 * at the root. Its `resource` must cover the server's URL, or `MCP_RESOURCE_MISMATCH` is thrown
 * before anything is sent to its authorization server. A server with no resource metadata is a
 * 2025-03-26 server: its origin is the authorization server, with `/authorize`, `/token` and
 * `/register` when it publishes no metadata either.
 *
 * @example
 * ```ts
 * import { discoverMcpAuthorization } from '@oauth/mcp'
 * const { issuer, resource, metadata } = await discoverMcpAuthorization('https://mcp.example.com/mcp')
 * ```
 */
export async function discoverMcpAuthorization(server: string | URL, options: MetadataOptions & { resourceMetadataUrl?: string } = {}): Promise<McpAuthorization> {
  const serverUrl = new URL(server)
  const { resourceMetadataUrl, ...fetchOptions } = options
  const path = serverUrl.pathname.replace(/\/$/, '')
  const candidates = resourceMetadataUrl
    ? [resourceMetadataUrl]
    : [...(path ? [`${serverUrl.origin}/.well-known/oauth-protected-resource${path}`] : []), `${serverUrl.origin}/.well-known/oauth-protected-resource`]
  let resourceMetadata: Record<string, unknown> | null = null
  for (const url of candidates) {
    resourceMetadata = await fetchMetadata(url, fetchOptions)
    if (resourceMetadata) break
  }
  if (resourceMetadata) {
    const resource = string(resourceMetadata.resource)
    if (!resource || !resourceCovers(resource, serverUrl)) {
      throw new OAuthFlowError(
        MCP_RESOURCE_MISMATCH,
        `The resource metadata of ${serverUrl.href} names the resource ${sanitizeText(resource ?? 'none', 200)}, which is not this server (RFC 9728 §3.3): nothing was sent to its authorization server.`,
      )
    }
    const servers = resourceMetadata.authorization_servers
    const issuer = Array.isArray(servers) ? string(servers[0]) : undefined
    if (!issuer) throw new OAuthFlowError(MCP_RESOURCE_MISMATCH, `The resource metadata of ${serverUrl.href} names no authorization server.`)
    const { metadata } = await discoverAuthorizationServer(issuer, fetchOptions)
    return { resource, issuer, metadata, resourceMetadata, issuerChecked: true }
  }
  // 2025-03-26: the MCP server's origin is the authorization base URL; its metadata, if any, is
  // at the root, and names whatever issuer it likes (that spec had no issuer to check against).
  const metadata = await fetchMetadata(`${serverUrl.origin}/.well-known/oauth-authorization-server`, fetchOptions)
  if (metadata) return { issuer: string(metadata.issuer) ?? serverUrl.origin, metadata, issuerChecked: false }
  return {
    issuer: serverUrl.origin,
    metadata: {
      issuer: serverUrl.origin,
      authorization_endpoint: `${serverUrl.origin}/authorize`,
      token_endpoint: `${serverUrl.origin}/token`,
      registration_endpoint: `${serverUrl.origin}/register`,
    },
    issuerChecked: false,
  }
}
