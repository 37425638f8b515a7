import { parseArgs } from 'node:util'
import { isExpired } from '@oauth/core'
import { EXIT, inWords, type CliIO } from '../io.js'
import { STORE_HELP, STORE_OPTIONS, storeFrom } from '../options.js'

export const STATUS_HELP = `Usage: anthropic-oauth status [options]

Shows who is logged in, the scopes, when the access token expires, and where the
login is stored. Never prints a token. Exit code 3 when not logged in, or when
the login has expired and cannot be renewed.

Options:
  --json         machine-readable output
${STORE_HELP}`

export async function status(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, options: { ...STORE_OPTIONS, json: { type: 'boolean' } }, strict: true })
  if (values.help) return io.stdout.write(`${STATUS_HELP}\n`), EXIT.OK
  const store = await storeFrom(values)
  const tokens = await store.load()
  const now = Date.now()
  const info = {
    loggedIn: tokens !== null,
    store: store.name,
    account: tokens?.account?.emailAddress ?? null,
    organization: tokens?.organization?.name ?? null,
    scopes: tokens?.scope ? tokens.scope.split(' ') : [],
    expiresAt: tokens?.expiresAt ? new Date(tokens.expiresAt).toISOString() : null,
    expired: tokens ? isExpired(tokens, now, 0) : null,
    refreshable: tokens ? Boolean(tokens.refreshToken) : null,
    daysLeft: tokens?.expiresAt ? Math.max(0, Math.floor((tokens.expiresAt - now) / 86_400_000)) : null,
    // The token endpoint answered 429: no refresh is sent before this (every process honours it).
    refreshPausedUntil: tokens?.refreshNotBefore && tokens.refreshNotBefore > now ? new Date(tokens.refreshNotBefore).toISOString() : null,
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(info, null, 2)}\n`)
  } else if (!tokens) {
    io.stdout.write(`Not logged in (${store.name}). Run: anthropic-oauth login\n`)
  } else {
    // A long-lived login (a year, never renewed) reads in days: "expires in 364 days".
    const expiry = tokens.expiresAt ? `${info.expired ? 'expired' : 'expires'} ${inWords(tokens.expiresAt - now)}` : 'no expiry given'
    io.stdout.write(
      [
        `Logged in${info.account ? ` as ${info.account}` : ''}`,
        ...(info.organization ? [`Organization: ${info.organization}`] : []),
        `Scopes:       ${info.scopes.join(' ') || '(none given)'}`,
        `Access token: ${expiry}${tokens.refreshToken ? ', renewed automatically' : ', cannot be renewed (no refresh token)'}`,
        ...(info.refreshPausedUntil ? [`Renewal:      paused by the token endpoint (HTTP 429); next attempt ${inWords(tokens.refreshNotBefore! - now)}`] : []),
        `Store:        ${store.name}`,
      ].join('\n') + '\n',
    )
  }
  // Expired with nothing to renew it: as good as logged out (README: exit code 3).
  return tokens && !(info.expired && !tokens.refreshToken) ? EXIT.OK : EXIT.NOT_LOGGED_IN
}
