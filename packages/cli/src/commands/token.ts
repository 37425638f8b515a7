import { parseArgs } from 'node:util'
import { isExpired } from '@oauth/core'
import { TokenManager } from '@oauth/http'
import { EXIT, withSpinner, type CliIO } from '../io.js'
import { configFrom, STORE_HELP, STORE_OPTIONS, storeFrom } from '../options.js'

export const TOKEN_HELP = `Usage: anthropic-oauth token [options]

Prints a valid access token on stdout (and nothing else), refreshing it first
when it is about to expire, for scripts:

  curl -H "Authorization: Bearer $(anthropic-oauth token)" …

Exit codes: 3 not logged in or login expired, 4 temporary failure (try again).

${STORE_HELP}`

export async function token(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, options: STORE_OPTIONS, strict: true })
  if (values.help) return io.stdout.write(`${TOKEN_HELP}\n`), EXIT.OK
  const manager = new TokenManager({ store: await storeFrom(values), config: configFrom(values, io.env) })
  const tokens = await manager.getTokens()
  // getTokens may serve an expiring token while it refreshes in the background; a script
  // gets the fresh one instead (refresh joins the refresh already under way).
  const fresh = isExpired(tokens) ? await withSpinner(io, 'Refreshing the access token', () => manager.refresh({ failedAccessToken: tokens.accessToken })) : tokens
  io.stdout.write(`${fresh.accessToken}\n`)
  return EXIT.OK
}
