import { parseArgs } from 'node:util'
import { OAUTH_SCOPE_INSUFFICIENT } from '@oauth/core'
import { checkApiKeyProfile, saveApiKeyProfile } from '@oauth/storage-file'
import { EXIT, jsonOut, shown, withSpinner, type CliIO } from '../io.js'
import { apiBaseUrl, loginFrom, requestOptions, UsageError } from '../options.js'

export const API_KEY_HELP = `Usage: anthropic-oauth api-key create [options]

Creates an API key for the organization of a Console (API-billed) login, the way
the first-party CLI does after a Console sign-in, and prints it once on stdout.
Sign in first with \`anthropic-oauth login --console\`: the login must hold the
org:create_api_key scope. Each call creates a new key; manage them in the Console.

Use this instead of the subscription login when a program is billed to an API
organization (servers, CI, tools other than Anthropic's own apps): a plain API
key is what Anthropic's terms expect there.

Options:
  --name <label>       a label for the key, sent with the request
  --profile <name>     write an Anthropic SDK profile that holds the key, instead
                       of printing it: then \`new Anthropic({ profile: '<name>' })\`
                       works. An existing profile is never replaced.
  --json               print {"apiKey": …} instead of the bare key
  --account <name>     the Console login to use (default: the default account)
  --store <file|keychain|profile>, --path <file>, --config <file.json>
                       where that login lives, as for the other commands`

export async function apiKey(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      profile: { type: 'string' },
      json: { type: 'boolean' },
      account: { type: 'string' },
      store: { type: 'string' },
      path: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  })
  if (values.help) return io.stdout.write(`${API_KEY_HELP}\n`), EXIT.OK
  if (positionals.length !== 1 || positionals[0] !== 'create') throw new UsageError('Usage: anthropic-oauth api-key create [--name <label>] [--profile <name>]')
  if (values.profile && values.json) throw new UsageError('--profile writes the key to a profile and --json prints it: choose one.')
  // `--profile` here is where the key goes; the login's own store is named by --account/--store.
  const { store, config } = await loginFrom({ account: values.account, store: values.store, path: values.path, config: values.config }, io.env)
  const baseUrl = apiBaseUrl(io.env)
  // Before a key is created: it is never made where it cannot then be saved.
  if (values.profile) await checkApiKeyProfile({ profile: values.profile })
  const [{ TokenManager, OAuthHttpError }, { createAnthropicApiKey }] = await Promise.all([import('@oauth/http'), import('@oauth/anthropic')])
  const request = await requestOptions(io.env)
  const manager = new TokenManager({ tokenStorage: store, oauthConfig: config, oauthRequestOptions: request })
  const tokens = await manager.getTokens()
  const scopes = tokens.scope ? tokens.scope.split(' ') : undefined
  if (scopes && !scopes.includes('org:create_api_key')) {
    throw new OAuthHttpError(OAUTH_SCOPE_INSUFFICIENT, `This login (${store.name}) lacks the org:create_api_key scope, so it cannot create API keys. Sign in with a Console account: anthropic-oauth login --console. Nothing was sent.`, {
      retryable: false,
      requiredScopes: ['org:create_api_key'],
    })
  }
  const key = await withSpinner(io, 'Creating an API key', async () => createAnthropicApiKey(await manager.getAccessToken(), { baseUrl, name: values.name, ...request }))
  const org = tokens.organization?.name ? ` for ${shown(tokens.organization.name)}` : ''
  if (values.profile) {
    let configPath: string
    try {
      ;({ configPath } = await saveApiKeyProfile(key.value, { profile: values.profile, baseUrl }))
    } catch (err) {
      // A billable key nobody has seen is never dropped: it is printed once, with what to do.
      io.stdout.write(`${key.value}\n`)
      io.stderr.write(
        `Created an API key${org}, but it could not be saved in the SDK profile "${values.profile}": ${(err as Error).message}\n` +
          'The key is printed above, once: store it now (a password manager, or ANTHROPIC_API_KEY). It cannot be shown again; revoke it in the Console if it is not needed.\n',
      )
      return EXIT.ERROR
    }
    io.stderr.write(`Created an API key${org} and saved it in the SDK profile "${values.profile}" (${configPath}). Use it with: new Anthropic({ profile: '${values.profile}' })\n`)
    return EXIT.OK
  }
  io.stdout.write(values.json ? jsonOut({ apiKey: key.value, name: values.name ?? null, organization: tokens.organization?.name ?? null }, 0) : `${key.value}\n`)
  io.stderr.write(`Created an API key${org}. It is shown once: store it now (or use --profile next time).\n`)
  return EXIT.OK
}
