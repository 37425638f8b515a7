import { describe, expect, it } from 'vitest'
import { parseBearerChallenge } from '../src/index.js'

describe('parseBearerChallenge', () => {
  it('reads error, scope and resource_metadata, quoted or not', () => {
    expect(parseBearerChallenge('Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"')).toEqual({
      error: 'insufficient_scope',
      scope: 'files:read files:write',
      resourceMetadata: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    })
    expect(parseBearerChallenge('Bearer error=invalid_token')).toEqual({ error: 'invalid_token' })
  })

  it('takes only the Bearer challenge of several, and keeps commas and escaped quotes inside quoted values', () => {
    const header = 'Basic realm="a, b", Bearer realm="x", error_description="say \\"hi\\", twice", scope="a b", DPoP algs="ES256"'
    expect(parseBearerChallenge(header)).toEqual({ scope: 'a b' })
    expect(parseBearerChallenge('DPoP scope="not-mine", Bearer scope="mine"')).toEqual({ scope: 'mine' })
  })

  it('answers {} for no header, another scheme, or garbage, and never throws', () => {
    expect(parseBearerChallenge(null)).toEqual({})
    expect(parseBearerChallenge('Basic realm="x"')).toEqual({})
    for (const junk of ['Bearer', 'Bearer ,,,', 'Bearer scope="unterminated', '"""', 'Bearer =x, y=', '\u0000\u00ff']) expect(() => parseBearerChallenge(junk)).not.toThrow()
  })
})
