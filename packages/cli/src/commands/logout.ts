import { parseArgs } from 'node:util'
import { OAuthError } from '@oauth/core'
import { EXIT, withSpinner, type CliIO } from '../io.js'
import { loginFrom, requestOptions, STORE_HELP, STORE_OPTIONS, type Login } from '../options.js'

export const LOGOUT_HELP = `Usage: anthropic-oauth logout [options]

Removes the stored login (with --account, that account, which leaves the list;
if it was the default, the default becomes "default"), then revokes its refresh
token at the server (RFC 7009) where the server has a revocation endpoint, so a
copy left anywhere stops working. Revocation is best effort: the login is
removed here even when it fails, and you are told which happened. Without a
revocation endpoint (the Anthropic preset has none), the tokens stay valid at
the server until they expire.

Options:
  --local        only remove the login here; send nothing to the server
${STORE_HELP}`

export async function logout(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, options: { ...STORE_OPTIONS, local: { type: 'boolean' } }, strict: true })
  if (values.help) return io.stdout.write(`${LOGOUT_HELP}\n`), EXIT.OK
  // --local sends nothing, not even discovery. A server that cannot be reached (discovery
  // failing) does not keep the login here: revocation is best effort, the removal is not.
  let login: Login
  let unreachable: string | undefined
  try {
    login = await loginFrom(values, io.env, { offline: values.local })
  } catch (err) {
    if (values.local || !(err instanceof OAuthError)) throw err
    login = await loginFrom(values, io.env, { offline: true })
    unreachable = err.message
  }
  const { store, account, accounts, config } = login
  const what = account ? `account "${account.name}" (${store.name})` : store.name
  let revocation = ''
  let had: boolean
  if (values.local || unreachable !== undefined || !config?.revocationUrl) {
    had = await store.exists()
    await store.clear()
    if (unreachable !== undefined) revocation = ` It could not be revoked, so it stays valid at the server until it expires: ${unreachable}`
    else if (!values.local) revocation = ' The server has no revocation endpoint: the tokens stay valid there until they expire.'
  } else {
    const { TokenManager } = await import('@oauth/http')
    const manager = new TokenManager({ tokenStorage: store, oauthConfig: config, oauthRequestOptions: await requestOptions(io.env) })
    const result = await withSpinner(io, 'Revoking the login at the server', () => manager.logout())
    had = result.removed
    if (result.revoked) revocation = ` Its refresh token was revoked at ${new URL(config.revocationUrl).origin}.`
    else if (result.revocationError) revocation = ` It could not be revoked at the server, so it stays valid there until it expires: ${result.revocationError.message}`
  }
  // The login first, then the list: a failure between the two leaves a listed account without
  // a login (status says so), never a login nobody can find.
  const listed = account ? await accounts!.remove(account.name) : false
  io.stderr.write(had || listed ? `Logged out: removed ${what}.${revocation}\n` : `Nothing to remove: no login in ${what}.\n`)
  return EXIT.OK
}
