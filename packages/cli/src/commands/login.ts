import { parseArgs } from 'node:util'
import { authorizeInteractive } from '@oauth/client'
import { EXIT, type CliIO } from '../io.js'
import { configFrom, STORE_HELP, STORE_OPTIONS, storeFrom } from '../options.js'

export const LOGIN_HELP = `Usage: anthropic-oauth login [options]

Signs in with your browser (OAuth 2.0 with PKCE) and stores the tokens.
Paste the code shown after signing in (code#state), or the callback URL.

Options:
  --no-browser   only print the URL (the default over SSH or without a display)
  --no-loopback  never listen on 127.0.0.1 for the redirect; paste instead
${STORE_HELP}`

export async function login(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, options: { ...STORE_OPTIONS, 'no-browser': { type: 'boolean' }, 'no-loopback': { type: 'boolean' } }, strict: true })
  if (values.help) return io.stdout.write(`${LOGIN_HELP}\n`), EXIT.OK
  const store = await storeFrom(values)
  const tokens = await authorizeInteractive(configFrom(values, io.env), {
    input: io.stdin,
    output: io.stderr,
    openBrowser: values['no-browser'] ? false : undefined,
    loopback: !values['no-loopback'],
  })
  await store.save(tokens)
  const who = tokens.account?.emailAddress ? ` as ${tokens.account.emailAddress}` : ''
  io.stderr.write(`Logged in${who}. Tokens saved to ${store.name}.\n`)
  return EXIT.OK
}
