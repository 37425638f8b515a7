import { describe, expect, it } from 'vitest'
import { resourceCovers } from '../src/index.js'

describe('resourceCovers (RFC 9728 §3.3: the resource metadata must be this server\'s)', () => {
  const server = new URL('https://mcp.example.com/tenant/mcp')
  it('accepts the server itself and a resource above it on the same origin', () => {
    expect(resourceCovers('https://mcp.example.com/tenant/mcp', server)).toBe(true)
    expect(resourceCovers('https://mcp.example.com/tenant/mcp/', server)).toBe(true)
    expect(resourceCovers('https://mcp.example.com/', server)).toBe(true)
    expect(resourceCovers('https://mcp.example.com', server)).toBe(true)
  })
  it('refuses another origin, a sibling path, a path that merely starts alike, and non-URLs', () => {
    expect(resourceCovers('https://evil.example.com/tenant/mcp', server)).toBe(false)
    expect(resourceCovers('http://mcp.example.com/tenant/mcp', server)).toBe(false)
    expect(resourceCovers('https://mcp.example.com:8443/tenant/mcp', server)).toBe(false)
    expect(resourceCovers('https://mcp.example.com/other', server)).toBe(false)
    expect(resourceCovers('https://mcp.example.com/ten', server)).toBe(false)
    expect(resourceCovers('not a url', server)).toBe(false)
  })
})
