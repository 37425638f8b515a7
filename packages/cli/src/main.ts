import {
  OAUTH_UNSUPPORTED,
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  OAUTH_INVALID_GRANT,
  OAUTH_NOT_LOGGED_IN,
  OAUTH_SCOPE_INSUFFICIENT,
  OAuthError,
  OAuthPolicyError,
} from '@oauth/core'
import { EXIT, shown, TEMPORARY, type CliIO } from './io.js'
import { UsageError } from './options.js'

/** The top-level `anthropic-oauth --help` text. */
export const HELP = `Usage: anthropic-oauth <command> [options]

Sign in to the Anthropic API with a Claude subscription (or to any OAuth 2.0
server), and keep the login fresh for your programs.

Commands:
  login      sign in with the browser (or --device) and store the tokens (--account <name> for several)
  status     who is logged in, the plan, and how much of the usage windows is left
  token      print a valid access token for scripts
  logout     remove the stored login (and revoke it, where the server can)
  accounts   list the named logins; \`accounts use <name>\` sets the default
  api-key    \`api-key create\`: an API key for a Console login

Run \`anthropic-oauth <command> --help\` for a command's options.
Anthropic's terms restrict subscription OAuth tokens to Anthropic's own apps.`

type Command = (args: string[], io: CliIO) => Promise<number>
// Loaded on demand: `token`, run once per request by scripts and credential helpers, must not
// pay for the Anthropic SDK (loaded by `login`) or anything else it does not use.
const COMMANDS: Record<string, () => Promise<Command>> = {
  login: async () => (await import('./commands/login.js')).login,
  status: async () => (await import('./commands/status.js')).status,
  token: async () => (await import('./commands/token.js')).token,
  logout: async () => (await import('./commands/logout.js')).logout,
  accounts: async () => (await import('./commands/accounts.js')).accounts,
  'api-key': async () => (await import('./commands/api-key.js')).apiKey,
}
/** A bad argument or config (from `--config`, say): `TypeError`s with these codes are usage errors. */
const INVALID_ARGUMENT = new Set<string | undefined>([ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE])

/**
 * Runs one `anthropic-oauth` command and resolves with its exit code.
 *
 * @example
 * ```ts
 * import { main } from '@oauth/cli'
 * process.exitCode = await main(['status'])
 * ```
 */
export async function main(argv: string[], io: CliIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const [command, ...args] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(`${HELP}\n`)
    return command ? EXIT.OK : EXIT.USAGE
  }
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined
  if (!load) {
    io.stderr.write(`Unknown command "${command}".\n\n${HELP}\n`)
    return EXIT.USAGE
  }
  try {
    return await (await load())(args, io)
  } catch (err) {
    const code = (err as { code?: string }).code
    // A server without what was asked of it (`login --device` where it has no device endpoint) is a usage error too.
    if (err instanceof UsageError || code?.startsWith('ERR_PARSE_ARGS') || (err instanceof TypeError && INVALID_ARGUMENT.has(code)) || code === OAUTH_UNSUPPORTED) {
      io.stderr.write(`${(err as Error).message}\nRun \`anthropic-oauth ${command} --help\`.\n`)
      return EXIT.USAGE
    }
    if (err instanceof OAuthError) {
      io.stderr.write(`${err.message.split('\n').map(shown).join('\n')}\n`)
      // A login without the scope asked for: the fix is another login, as for "not logged in".
      if (err.code === OAUTH_NOT_LOGGED_IN || err.code === OAUTH_INVALID_GRANT || err.code === OAUTH_SCOPE_INSUFFICIENT) return EXIT.NOT_LOGGED_IN
      if (err instanceof OAuthPolicyError) return EXIT.POLICY
      return TEMPORARY.has(err.code) ? EXIT.TEMPORARY : EXIT.ERROR
    }
    io.stderr.write(`anthropic-oauth ${command} failed: ${(err as Error)?.message ?? err}\n`)
    return EXIT.ERROR
  }
}
