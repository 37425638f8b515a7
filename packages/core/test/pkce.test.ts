import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { base64url, computeCodeChallenge, generatePkce, generateState, timingSafeEqual } from '../src/index.js'

// RFC 7636 §4.1: 43–128 characters of ALPHA / DIGIT / "-" / "." / "_" / "~"
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/

describe('PKCE', () => {
  it('matches the RFC 7636 Appendix B test vector', async () => {
    expect(await computeCodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    )
  })

  it('encodes the RFC 7636 Appendix B verifier octets to the verifier', () => {
    const octets = [
      116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240,
      91, 88, 5, 88, 83, 132, 141, 121,
    ]
    expect(base64url(new Uint8Array(octets))).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')
  })

  it('makes an 86-character verifier from 64 random bytes, and its S256 challenge', async () => {
    const { codeVerifier, codeChallenge } = await generatePkce()
    expect(codeVerifier).toMatch(VERIFIER)
    expect(codeVerifier).toHaveLength(86)
    expect(codeChallenge).toBe(await computeCodeChallenge(codeVerifier))
    expect(codeChallenge).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('never repeats a verifier or a state', async () => {
    const verifiers = new Set<string>()
    const states = new Set<string>()
    for (let i = 0; i < 200; i++) {
      verifiers.add((await generatePkce()).codeVerifier)
      states.add(generateState())
    }
    expect(verifiers.size).toBe(200)
    expect(states.size).toBe(200)
  })

  it('makes states of 43 URL-safe characters', () => {
    expect(generateState()).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('base64url-encodes any bytes without padding, reversibly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const encoded = base64url(bytes)
        expect(encoded).toMatch(/^[A-Za-z0-9_-]*$/)
        const std = encoded.replace(/-/g, '+').replace(/_/g, '/')
        const decoded = Uint8Array.from(atob(std + '='.repeat((4 - (std.length % 4)) % 4)), (c) => c.charCodeAt(0))
        expect(Array.from(decoded)).toEqual(Array.from(bytes))
      }),
    )
  })

  it('derives a 43-character challenge for any valid verifier', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(VERIFIER), async (verifier) => {
        const challenge = await computeCodeChallenge(verifier)
        expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/)
        expect(await computeCodeChallenge(verifier)).toBe(challenge)
      }),
      { numRuns: 50 },
    )
  })
})

describe('timingSafeEqual', () => {
  it('agrees with === on any pair of strings', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(timingSafeEqual(a, b)).toBe(a === b)
        expect(timingSafeEqual(a, a)).toBe(true)
      }),
    )
  })

  it('tells a prefix from the whole string', () => {
    expect(timingSafeEqual('abc', 'abcd')).toBe(false)
    expect(timingSafeEqual('abcd', 'abc')).toBe(false)
    expect(timingSafeEqual('', '')).toBe(true)
  })
})
