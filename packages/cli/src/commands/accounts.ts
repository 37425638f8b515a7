import { parseArgs } from 'node:util'
import { isExpired, OAuthError } from '@oauth/core'
import { Accounts } from '@oauth/storage-file'
import { EXIT, inWords, jsonOut, shown, type CliIO } from '../io.js'
import { keychainFactory, UsageError } from '../options.js'

export const ACCOUNTS_HELP = `Usage: anthropic-oauth accounts [--json]
       anthropic-oauth accounts use <name>

Lists the named logins (name, email, organization, when the access token
expires, where it is kept), marking the default one with *. \`use\` makes <name>
the default: the account every command and program uses when none is named.

Log in to a new account with \`anthropic-oauth login --account <name>\`, remove
one with \`anthropic-oauth logout --account <name>\`. A single login from before
accounts (~/.anthropic/oauth_tokens.json) is the account "default", as it is.
In code: AnthropicOAuth.fromStorage({ account: '<name>' }).

Options:
  --json         machine-readable output`

export async function accounts(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
  if (values.help) return io.stdout.write(`${ACCOUNTS_HELP}\n`), EXIT.OK
  const [action, name, ...rest] = positionals
  const registry = new Accounts()
  if (action === 'use') {
    if (!name || rest.length) throw new UsageError('Name one account: anthropic-oauth accounts use <name>')
    await registry.use(name)
    io.stderr.write(`The default account is now "${name}".\n`)
    return EXIT.OK
  }
  if (action !== undefined) throw new UsageError(`Unknown action "${action}": use \`accounts\` to list, or \`accounts use <name>\`.`)

  const { defaultAccount, accounts: list } = await registry.list()
  // The listed accounts are opened as they are recorded; the keychain binding loads only if one lives there.
  const opener = list.some((a) => a.store === 'keychain') ? new Accounts({ keychain: await keychainFactory() }) : registry
  const now = Date.now()
  const rows = await Promise.all(
    list.map(async (account) => {
      const row = { name: account.name, default: account.isDefault, kind: account.store, email: null as string | null, organization: null as string | null, expiresAt: null as string | null, expired: null as boolean | null, refreshable: null as boolean | null, store: '', problem: null as string | null }
      try {
        const store = opener.open(account)
        row.store = store.name
        const tokens = await store.load()
        if (!tokens) {
          row.problem = 'no login stored'
        } else {
          row.email = tokens.account?.emailAddress ?? null
          row.organization = tokens.organization?.name ?? null
          row.expiresAt = tokens.expiresAt ? new Date(tokens.expiresAt).toISOString() : null
          row.expired = isExpired(tokens, now, 0)
          row.refreshable = Boolean(tokens.refreshToken)
        }
      } catch (err) {
        // One unreadable account (a locked keychain, a corrupt file) does not hide the others.
        row.problem = err instanceof OAuthError || err instanceof Error ? err.message : String(err)
      }
      return row
    }),
  )
  if (values.json) {
    io.stdout.write(jsonOut({ defaultAccount, accounts: rows }))
    return EXIT.OK
  }
  if (!rows.length) {
    io.stdout.write('No accounts. Log in with: anthropic-oauth login [--account <name>]\n')
    return EXIT.OK
  }
  const table = [['', 'NAME', 'EMAIL', 'ORGANIZATION', 'ACCESS TOKEN', 'STORE']]
  for (const r of rows) {
    const expiry = r.problem ?? (r.expiresAt ? `${r.expired ? (r.refreshable ? 'expired, renewable' : 'expired') : 'expires'} ${inWords(Date.parse(r.expiresAt) - now)}` : 'no expiry given')
    // The email, the organization and a problem's message came from the network or a file.
    table.push([r.default ? '*' : '', r.name, r.email ?? '-', r.organization ?? '-', expiry, r.store].map(shown))
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)))
  io.stdout.write(`${table.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')}\n`)
  return EXIT.OK
}
