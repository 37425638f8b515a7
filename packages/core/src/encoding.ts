/** base64url without padding (RFC 4648 §5), the encoding PKCE and state use. */
export function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').split('=')[0]!
}

/** `byteLength` bytes from the platform CSPRNG, base64url-encoded. */
export function randomBase64url(byteLength: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(byteLength)))
}

/**
 * Compares two strings in time that depends only on their lengths, so a
 * forged `state` cannot be guessed one character at a time.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  const n = Math.max(a.length, b.length)
  // charCodeAt past the end is NaN, and NaN | 0 is 0: no early exit either way.
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0)
  return diff === 0
}
