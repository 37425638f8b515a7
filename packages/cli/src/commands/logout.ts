import { parseArgs } from 'node:util'
import { EXIT, type CliIO } from '../io.js'
import { STORE_HELP, STORE_OPTIONS, storeFrom } from '../options.js'

export const LOGOUT_HELP = `Usage: anthropic-oauth logout [options]

Removes the stored login (with --account, that account, which leaves the list;
if it was the default, the default becomes "default"). The tokens stay valid at
the server until they expire.

${STORE_HELP}`

export async function logout(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, options: STORE_OPTIONS, strict: true })
  if (values.help) return io.stdout.write(`${LOGOUT_HELP}\n`), EXIT.OK
  const { store, account, accounts } = await storeFrom(values, io.env)
  const had = await store.exists()
  await store.clear()
  // The login first, then the list: a failure between the two leaves a listed account without
  // a login (status says so), never a login nobody can find.
  const listed = account ? await accounts!.remove(account.name) : false
  const what = account ? `account "${account.name}" (${store.name})` : store.name
  io.stderr.write(had || listed ? `Logged out: removed ${what}.\n` : `Nothing to remove: no login in ${what}.\n`)
  return EXIT.OK
}
