// The Bearer challenge of a 401 or 403 (RFC 6750 §3), with the resource metadata pointer of
// RFC 9728 §5.1 and the scope an MCP server asks for.

/** What a Bearer challenge says. */
export interface BearerChallenge {
  /** `error`: `invalid_token`, `insufficient_scope`, … */
  error?: string
  /** `scope`: the scopes the request needs (space-separated). */
  scope?: string
  /** `resource_metadata`: where the protected resource metadata is (RFC 9728 §5.1). */
  resourceMetadata?: string
}

/**
 * Reads the `Bearer` challenge of a `WWW-Authenticate` header; other schemes in the same header
 * are skipped. Quoted values may hold commas and escaped quotes. Returns `{}` when there is none.
 *
 * @example
 * ```ts
 * import { parseBearerChallenge } from '@oauth/mcp'
 * parseBearerChallenge('Bearer error="insufficient_scope", scope="files:read files:write"').scope // 'files:read files:write'
 * ```
 */
export function parseBearerChallenge(header: string | null | undefined): BearerChallenge {
  if (!header) return {}
  const params: Record<string, string> = {}
  let inBearer = false
  // A scheme token, or a key=value auth-param (value a token or a quoted string).
  const pattern = /\s*(?:([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)|([A-Za-z0-9!#$%&'*+.^_`|~-]+))\s*,?/y
  let match: RegExpExecArray | null
  while (pattern.lastIndex < header.length && (match = pattern.exec(header))) {
    if (match[3] !== undefined) {
      // A new challenge begins with its scheme (a token68 after it would be a bare token too).
      inBearer = match[3].toLowerCase() === 'bearer'
      continue
    }
    if (!inBearer) continue
    const raw = match[2]!
    const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw
    params[match[1]!.toLowerCase()] ??= value
  }
  const challenge: BearerChallenge = {}
  if (params.error) challenge.error = params.error
  if (params.scope) challenge.scope = params.scope
  if (params.resource_metadata) challenge.resourceMetadata = params.resource_metadata
  return challenge
}
