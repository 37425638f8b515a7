import { parseArgs } from 'node:util'
import { authorizeInteractive } from '@oauth/client'
import { EXIT, type CliIO } from '../io.js'
import { assertCanSave, configFrom, STORE_HELP, STORE_OPTIONS, storeFrom } from '../options.js'

export const LOGIN_HELP = `Usage: anthropic-oauth login [options]

Signs in with your browser (OAuth 2.0 with PKCE) and stores the tokens.
Automatic mode (the default where a browser can be opened): the browser comes
back to a server on 127.0.0.1 and there is nothing to paste. Manual mode (over
SSH, without a display, or with --manual): paste the code shown after signing
in (code#state), or the whole callback URL.

Options:
  --manual       paste the code instead of catching the redirect on 127.0.0.1
  --no-browser   only print the URL (implies --manual where the server has a paste page)
  --no-loopback  never listen on 127.0.0.1 for the redirect; paste instead
  --long-lived   a one-year, inference-only token without a refresh token, as
                 \`claude setup-token\` makes (Anthropic preset)
${STORE_HELP}`

export async function login(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...STORE_OPTIONS,
      manual: { type: 'boolean' },
      'no-browser': { type: 'boolean' },
      'no-loopback': { type: 'boolean' },
      'long-lived': { type: 'boolean' },
    },
    strict: true,
  })
  if (values.help) return io.stdout.write(`${LOGIN_HELP}\n`), EXIT.OK
  const store = await storeFrom(values)
  // Before the browser opens: a code is never spent on tokens that cannot then be saved.
  await assertCanSave(store)
  const tokens = await authorizeInteractive(configFrom(values, io.env), {
    input: io.stdin,
    output: io.stderr,
    openBrowser: values['no-browser'] ? false : undefined,
    mode: values.manual || values['no-loopback'] ? 'manual' : undefined,
    loopback: !values['no-loopback'],
    longLived: values['long-lived'],
  })
  await store.save(tokens)
  const who = tokens.account?.emailAddress ? ` as ${tokens.account.emailAddress}` : ''
  const lifetime = tokens.refreshToken ? '' : tokens.expiresAt ? ` The token lasts until ${new Date(tokens.expiresAt).toISOString().slice(0, 10)} and cannot be renewed.` : ''
  io.stderr.write(`Logged in${who}. Tokens saved to ${store.name}.${lifetime}\n`)
  return EXIT.OK
}
