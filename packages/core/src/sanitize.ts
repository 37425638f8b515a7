// C0 and C1 control characters (ESC, CR, BEL, NUL, …), and the Unicode bidi and line
// separators: text that came from the network could clear a terminal, set its title, or
// print fake lines through them.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
// Credential-shaped text: Anthropic keys and tokens, JWTs, and any long run of token
// characters mixing letters and digits (opaque tokens are 32+ base64url characters).
const TOKEN_SHAPED = /sk-ant-[\w-]+|eyJ[\w-]*\.[\w-]*\.[\w-]*|[\w~+=-]{32,}/g

/**
 * Text from the network, made safe for a terminal or an error message: control characters
 * become spaces, anything shaped like a token (and each of `secrets`, such as the refresh
 * token just sent) becomes `[redacted]`, and it is cut to `max` characters.
 *
 * @example
 * ```ts
 * import { sanitizeText } from '@oauth/core'
 * sanitizeText('denied\u001b]0;pwned\u0007') // 'denied ]0;pwned '
 * sanitizeText('refresh token sk-ant-ort01-abc is revoked') // 'refresh token [redacted] is revoked'
 * ```
 */
export function sanitizeText(text: string, max = 300, secrets: readonly (string | undefined)[] = []): string {
  let clean = text
  // Every secret given is cut out, however short: these are the ones just sent.
  for (const secret of secrets) if (secret) clean = clean.split(secret).join('[redacted]')
  clean = clean.replace(CONTROL, ' ').replace(TOKEN_SHAPED, (m) => (m.startsWith('sk-ant-') || m.startsWith('eyJ') || (/\d/.test(m) && /[A-Za-z]/.test(m)) ? '[redacted]' : m))
  return clean.length > max ? `${clean.slice(0, max)}…` : clean
}
