import { parseArgs } from 'node:util'
import { anthropicPresetFromEnv } from '@oauth/anthropic/presets'
import { isExpired, OAuthError } from '@oauth/core'
import { EXIT, TEMPORARY, withSpinner, type CliIO } from '../io.js'
import { configFrom, requestOptions, serverFor, STORE_HELP, STORE_OPTIONS, storeFrom } from '../options.js'

export const TOKEN_HELP = `Usage: anthropic-oauth token [options]

Prints a valid access token on stdout (and nothing else), refreshing it first
when it is about to expire, for scripts:

  curl -H "Authorization: Bearer $(anthropic-oauth token)" …

When the refresh fails for a temporary reason (rate limit, server or network
down, a connection reset, a timeout, an answer lost on the way) and the token is
still valid, it is printed anyway, with a warning on stderr. Token requests give
up after ANTHROPIC_OAUTH_TIMEOUT_MS milliseconds (default 30000).

Exit codes: 3 not logged in or login expired, 4 temporary failure (try again).

${STORE_HELP}`

export async function token(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, options: STORE_OPTIONS, strict: true })
  if (values.help) return io.stdout.write(`${TOKEN_HELP}\n`), EXIT.OK
  // The server named is only read here, not discovered: a token of another server's login is refused before it is printed.
  const named = await configFrom(values, io.env, { discover: false })
  const target = await storeFrom(values, io.env, { config: named })
  const { store } = target
  const recorded = await serverFor(target, named, { env: io.env })
  // The fast path, taken on almost every call: a stored token that is not expiring is printed
  // without loading @oauth/http, oauth4webapi or the SDK (scripts run this once per request).
  const stored = await store.load()
  if (stored && !isExpired(stored)) {
    io.stdout.write(`${stored.accessToken}\n`)
    return EXIT.OK
  }
  const { TokenManager } = await import('@oauth/http')
  // The config is read only now: the fast path above needs none.
  const config = (named && !named.tokenUrl ? await configFrom(values, io.env) : recorded) ?? anthropicPresetFromEnv(io.env).config
  const manager = new TokenManager({ tokenStorage: store, oauthConfig: config, oauthRequestOptions: await requestOptions(io.env) })
  const tokens = await manager.getTokens()
  // A long-lived token (no refresh token) is printed until it ends; it is never refreshed.
  if (!isExpired(tokens) || !tokens.refreshToken) return io.stdout.write(`${tokens.accessToken}\n`), EXIT.OK
  try {
    // getTokens may serve an expiring token while it refreshes in the background; a script
    // gets the fresh one instead (refresh joins the refresh already under way).
    const fresh = await withSpinner(io, 'Refreshing the access token', () => manager.refresh({ failedAccessToken: tokens.accessToken }))
    io.stdout.write(`${fresh.accessToken}\n`)
    return EXIT.OK
  } catch (err) {
    // A rate limit, an outage or a lost answer is no reason to fail a script while the token still works.
    const temporary = err instanceof OAuthError && TEMPORARY.has(err.code)
    if (!temporary || isExpired(tokens, Date.now(), 0)) throw err
    io.stderr.write(`Warning: could not renew the access token (${err.message}) It is still valid until ${new Date(tokens.expiresAt!).toISOString()}.\n`)
    io.stdout.write(`${tokens.accessToken}\n`)
    return EXIT.OK
  }
}
