import { parseArgs } from 'node:util'
import { EXIT, type CliIO } from '../io.js'
import { STORE_HELP, STORE_OPTIONS, storeFrom } from '../options.js'

export const LOGOUT_HELP = `Usage: anthropic-oauth logout [options]

Removes the stored login. (The tokens stay valid at the server until they expire.)

${STORE_HELP}`

export async function logout(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, options: STORE_OPTIONS, strict: true })
  if (values.help) return io.stdout.write(`${LOGOUT_HELP}\n`), EXIT.OK
  const store = await storeFrom(values)
  const had = await store.exists()
  await store.clear()
  io.stderr.write(had ? `Logged out: removed the login from ${store.name}.\n` : `Nothing to remove: no login in ${store.name}.\n`)
  return EXIT.OK
}
