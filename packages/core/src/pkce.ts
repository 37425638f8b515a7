import { base64url, randomBase64url } from './encoding.js'

/** A PKCE pair (RFC 7636). Keep `codeVerifier` secret until the code exchange. */
export interface PkcePair {
  codeVerifier: string
  codeChallenge: string
}

/**
 * The S256 challenge for a verifier: base64url(SHA-256(ASCII(verifier))), RFC 7636 §4.2.
 *
 * @example
 * ```ts
 * import { computeCodeChallenge } from '@oauth/core'
 * // RFC 7636 Appendix B
 * await computeCodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')
 * // → 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
 * ```
 */
export async function computeCodeChallenge(codeVerifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(codeVerifier))
  return base64url(new Uint8Array(digest))
}

/**
 * A fresh PKCE pair: 64 random bytes as an 86-character base64url verifier
 * (RFC 7636 §4.1 allows 43–128 characters of `[A-Za-z0-9-._~]`) and its S256 challenge.
 * Uses Web Crypto only, so it runs in browsers, edge workers, Node, Bun and Deno.
 *
 * @example
 * ```ts
 * import { generatePkce } from '@oauth/core'
 * const { codeVerifier, codeChallenge } = await generatePkce()
 * ```
 */
export async function generatePkce(): Promise<PkcePair> {
  const codeVerifier = randomBase64url(64)
  return { codeVerifier, codeChallenge: await computeCodeChallenge(codeVerifier) }
}

/**
 * A fresh, unguessable `state` value (32 random bytes, base64url). Never reuse the
 * PKCE verifier as state: the state travels in the browser's address bar.
 *
 * @example
 * ```ts
 * import { generateState } from '@oauth/core'
 * const state = generateState() // 43 characters
 * ```
 */
export function generateState(): string {
  return randomBase64url(32)
}
