// C0 and C1 control characters (ESC, CR, BEL, NUL, …), and the Unicode bidi and line
// separators: text that came from the network could clear a terminal, set its title, or
// print fake lines through them.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/**
 * Text from the network, made safe for a terminal or an error message: control characters
 * become spaces, and it is cut to `max` characters.
 *
 * @example
 * ```ts
 * import { sanitizeText } from '@oauth/core'
 * sanitizeText('denied\u001b]0;pwned\u0007') // 'denied ]0;pwned '
 * ```
 */
export function sanitizeText(text: string, max = 300): string {
  const clean = text.replace(CONTROL, ' ')
  return clean.length > max ? `${clean.slice(0, max)}…` : clean
}
