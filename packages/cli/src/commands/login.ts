import { parseArgs } from 'node:util'
import { authorizeInteractive } from '@oauth/client'
import type { OAuthConfig, OAuthTokens } from '@oauth/core'
import { EXIT, shown, withSpinner, type CliIO } from '../io.js'
import { anthropicCliConfig } from '@oauth/anthropic/presets'
import { activeSdkProfile, setActiveSdkProfile } from '@oauth/storage-file'
import { assertCanSave, loginFrom, requestOptions, serverRecord, STORE_HELP, STORE_OPTIONS, storeFrom, UsageError } from '../options.js'

export const LOGIN_HELP = `Usage: anthropic-oauth login [options]

Signs in with your browser (OAuth 2.0 with PKCE) and stores the tokens.
Automatic mode (the default where a browser can be opened): the browser comes
back to a server on 127.0.0.1 and there is nothing to paste. Manual mode (over
SSH, without a display, or with --manual): paste the code shown after signing
in (code#state), or the whole callback URL.

Options:
  --account <name>        store this login under a name (a personal and a work
                          subscription side by side); see \`anthropic-oauth accounts\`
  --select-account        let the sign-in page ask which account to use, even when
                          the browser is signed in to another (prompt=select_account)
  --login-hint <email>    suggest the account to sign in with (login_hint)
  --api                   sign in to the API as Anthropic's own CLI does (\`ant auth login\`):
                          the Console login, billed to your API organization, within
                          Anthropic's terms for programs. Writes an SDK profile that
                          \`new Anthropic({ profile })\` and \`ant\` read (--profile <name>,
                          default: ANTHROPIC_PROFILE, else the active profile, else "default")
    --workspace-id <id>   bind the token to this workspace (else the Console asks)
    --callback-port <n>   listen on this port (for \`ssh -L <n>:localhost:<n>\` with --no-browser)
  --console               sign in with an Anthropic Console (API-billed) account, to
                          create API keys with \`anthropic-oauth api-key create\`
  --device                sign in on another device (RFC 8628): shows a page and a code to
                          type there, for machines without a browser where pasting back is
                          impossible; needs a server with a device authorization endpoint
                          (not the Anthropic preset)
  --manual                paste the code instead of catching the redirect on 127.0.0.1
  --no-browser            only print the URL (implies --manual where the server has a paste page)
  --no-loopback           never listen on 127.0.0.1 for the redirect; paste instead
  --long-lived            a one-year, inference-only token without a refresh token, as
                          \`claude setup-token\` makes (Anthropic preset)
${STORE_HELP}`

/**
 * The Console's authorization page: Claude Code's production config sends Console logins to
 * `CONSOLE_AUTHORIZE_URL`, https://platform.claude.com/oauth/authorize, and subscription logins to
 * claude.com/cai (mangowhoiscloud/geode#1232, 2026-05-17; ANTHROPIC_CONSOLE_AUTHORIZE_URL in @oauth/anthropic).
 * That is /oauth/authorize on the token endpoint's host, so it is derived from the token URL: a
 * config pointing the preset elsewhere (a test stand-in) keeps working.
 */
function consoleConfig(config: OAuthConfig): OAuthConfig {
  return { ...config, authorizeUrl: new URL('/oauth/authorize', config.tokenUrl).href }
}

/** The device grant: the page and the code on stderr, then a spinner while the user approves elsewhere. */
async function deviceLogin(config: OAuthConfig, io: CliIO): Promise<OAuthTokens> {
  const { authorizeDevice } = await import('@oauth/http')
  let waiting: ((value: void) => void) | undefined
  const approved = authorizeDevice(config, {
    ...(await requestOptions(io.env)),
    onUserCode: ({ userCode, verificationUri, verificationUriComplete, expiresAt }) => {
      const minutes = Math.max(1, Math.round((expiresAt - Date.now()) / 60_000))
      io.stderr.write(
        `On any device with a browser, open:\n\n  ${verificationUri}\n\nand enter the code:\n\n  ${userCode}\n\n${verificationUriComplete ? `(or open ${verificationUriComplete})\n` : ''}The code works for ${minutes} min.\n`,
      )
      waiting?.()
    },
  })
  // The spinner starts once the code is shown, and stops when the login ends either way.
  await new Promise<void>((resolve) => {
    waiting = resolve
    approved.then(() => resolve(), () => resolve())
  })
  return withSpinner(io, 'Waiting for the approval', () => approved)
}

/**
 * The Console login of Anthropic's own CLI (`ant auth login`, anthropics/anthropic-cli
 * pkg/cmd/cmd_auth.go): the same client, pages and wire format, the same SDK profile written
 * (`configs/<profile>.json` only when the profile is new, `credentials/<profile>.json`, and
 * `active_config` when none is set or the profile was named), and the same variables read:
 * `ANTHROPIC_CONSOLE_URL`, `ANTHROPIC_BASE_URL`, `ANTHROPIC_OAUTH_CLIENT_ID`,
 * `ANTHROPIC_WORKSPACE_ID`, `ANTHROPIC_ORGANIZATION_ID`, `ANTHROPIC_PROFILE`.
 */
async function apiLogin(
  values: { profile?: string; account?: string; store?: string; path?: string; config?: string; issuer?: string; console?: boolean; device?: boolean; 'long-lived'?: boolean; 'workspace-id'?: string; 'callback-port'?: string; manual?: boolean; 'no-browser'?: boolean; 'no-loopback'?: boolean },
  io: CliIO,
): Promise<number> {
  for (const flag of ['console', 'device', 'long-lived', 'path', 'config', 'issuer'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--api cannot be combined with --${flag}: it signs in to Anthropic's API with Anthropic's CLI client, into an SDK profile.`)
  }
  if (values.store !== undefined && values.store !== 'profile') throw new UsageError('--api writes an SDK profile: --store must be profile, or left out.')
  if (values.account !== undefined && values.profile !== undefined && values.account !== values.profile) throw new UsageError('--account and --profile name the same SDK profile with --api: give one.')
  const env = io.env
  const named = values.profile ?? values.account
  const profile = named ?? (await activeSdkProfile({ env }))
  const port = values['callback-port']
  if (port !== undefined && !/^\d{1,5}$/.test(port)) throw new UsageError(`--callback-port takes a port number, not "${port}".`)
  const config = anthropicCliConfig({
    consoleUrl: env.ANTHROPIC_CONSOLE_URL,
    baseUrl: env.ANTHROPIC_BASE_URL,
    clientId: env.ANTHROPIC_OAUTH_CLIENT_ID,
    workspaceId: values['workspace-id'] ?? env.ANTHROPIC_WORKSPACE_ID,
    organizationId: env.ANTHROPIC_ORGANIZATION_ID,
  })
  const target = await storeFrom({ account: profile, store: 'profile', profile }, env, { forLogin: true, config: { ...config, ...(env.ANTHROPIC_BASE_URL ? { baseUrl: env.ANTHROPIC_BASE_URL } : {}) } })
  await assertCanSave(target.store)
  // --no-browser with a fixed port: the SSH-forward mode (listen, print, never open a browser);
  // --no-browser alone: the headless mode (paste the code shown by the Console).
  const listen = port !== undefined ? { ...config, loopbackRedirectUri: `http://localhost:${Number(port)}/callback` } : config
  const tokens = await authorizeInteractive(listen, {
    input: io.stdin,
    output: io.stderr,
    openBrowser: values['no-browser'] ? false : undefined,
    mode: port !== undefined ? 'automatic' : values.manual || values['no-loopback'] || values['no-browser'] ? 'manual' : undefined,
    // The redirect is the Console's paste page (a loopback one only for a Console on this machine): never listened on.
    loopback: false,
  })
  await target.store.save(tokens)
  await target.accounts!.add(target.account!.name, 'profile', serverRecord({ config }))
  const active = await setActiveSdkProfile(profile, { onlyIfUnset: named === undefined })
  const to = tokens.organization?.name ? ` to ${tokens.organization.name}` : ''
  const as = tokens.account?.emailAddress ? ` as ${tokens.account.emailAddress}` : ''
  const lines = [
    `Logged in${to}${as} (SDK profile "${profile}"). Tokens saved to ${target.store.name}.`,
    ...(tokens.workspace ? [`Workspace: ${tokens.workspace.name ? `${tokens.workspace.name} (${tokens.workspace.id})` : tokens.workspace.id}`] : []),
    ...(active.changed ? [`"${profile}" is now the active profile${active.previous ? ` (was "${active.previous}")` : ''}.`] : []),
    `Use it with: new Anthropic({ profile: '${profile}' }), ANTHROPIC_PROFILE=${profile}, or anthropic-oauth token --profile ${profile}`,
  ]
  io.stderr.write(`${lines.map(shown).join('\n')}\n`)
  return EXIT.OK
}

export async function login(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...STORE_OPTIONS,
      'select-account': { type: 'boolean' },
      'login-hint': { type: 'string' },
      console: { type: 'boolean' },
      device: { type: 'boolean' },
      manual: { type: 'boolean' },
      'no-browser': { type: 'boolean' },
      'no-loopback': { type: 'boolean' },
      'long-lived': { type: 'boolean' },
      api: { type: 'boolean' },
      'workspace-id': { type: 'string' },
      'callback-port': { type: 'string' },
    },
    strict: true,
  })
  if (values.help) return io.stdout.write(`${LOGIN_HELP}\n`), EXIT.OK
  if (values.api) return apiLogin(values, io)
  if (values['workspace-id'] !== undefined || values['callback-port'] !== undefined) throw new UsageError('--workspace-id and --callback-port go with --api.')
  if (values.console && values['long-lived']) throw new UsageError('--console and --long-lived cannot be combined: a long-lived token is inference-only.')
  if (values.device && (values.console || values['long-lived'] || values.manual)) throw new UsageError('--device cannot be combined with --console, --long-lived or --manual.')
  // Logging in again to an account without --config uses the server its login recorded.
  const target = await loginFrom(values, io.env, { forLogin: true })
  const config = target.config
  // Before the browser opens: a code is never spent on tokens that cannot then be saved (a
  // corrupt token file, a folder that cannot be written; storeFrom has read the account list).
  const previous = await assertCanSave(target.store)
  const authorizeParams: Record<string, string> = {}
  if (values['select-account']) authorizeParams.prompt = 'select_account'
  if (values['login-hint']) authorizeParams.login_hint = values['login-hint']
  const tokens = values.device
    ? await deviceLogin(config, io)
    : await authorizeInteractive(values.console ? consoleConfig(config) : config, {
        input: io.stdin,
        output: io.stderr,
        openBrowser: values['no-browser'] ? false : undefined,
        mode: values.manual || values['no-loopback'] ? 'manual' : undefined,
        loopback: !values['no-loopback'],
        longLived: values['long-lived'],
        authorizeParams,
      })
  await target.store.save(tokens)
  // The account remembers its server: later commands use it without --config, and refuse another.
  if (target.account) await target.accounts!.add(target.account.name, target.account.store, serverRecord(target))
  const email = tokens.account?.emailAddress
  const who = email ? ` as ${email}` : ''
  const under = target.account ? ` (account "${target.account.name}")` : ''
  const lifetime = tokens.refreshToken ? '' : tokens.expiresAt ? ` The token lasts until ${new Date(tokens.expiresAt).toISOString().slice(0, 10)} and cannot be renewed.` : ''
  io.stderr.write(`${shown(`Logged in${who}${under}. Tokens saved to ${target.store.name}.${lifetime}`)}\n`)
  // Never the wrong account billed without a word: the browser may have been signed in to another one.
  const was = previous?.account?.emailAddress
  if (was && email && was !== email) {
    io.stderr.write(`${shown(`Note: this login was ${was} before; it is now ${email}. To keep both, log in with --account <name> (and --select-account to choose in the browser).`)}\n`)
  }
  return EXIT.OK
}
