// The server an account's login belongs to, as the account list records it, and the check that
// its tokens are sent to that server only.
import type { OAuthConfig } from '@oauth/core'

/**
 * The server a login belongs to, recorded at login: a preset by name (`{ preset: 'anthropic' }`:
 * its current values are used, so a login follows the preset when the service moves; what the
 * name means is given by {@link AccountsOptions.presets}), or the config it was made with,
 * endpoints discovered included and secrets left out. `configFile` is where a confidential
 * client's secret is read again (never copied into the list).
 */
export type AccountServer = { preset: string } | { config: AccountServerConfig; configFile?: string }

/** What the presets an account may name are: their client, and their token endpoint or issuer. */
export type AccountPresets = Readonly<Record<string, Pick<OAuthConfig, 'clientId' | 'tokenUrl' | 'issuer'>>>

/** A recorded server config: an `OAuthConfig` without its secrets, and the API it is for (`baseUrl`). */
export type AccountServerConfig = Omit<OAuthConfig, 'clientSecret' | 'clientPrivateKey'> & { baseUrl?: string }

/** The config of a recorded server: the preset's (`undefined` for a preset not in `presets`), or the one recorded (without its secrets). */
export function serverConfig(server: AccountServer, presets: AccountPresets = {}): Pick<OAuthConfig, 'clientId' | 'tokenUrl' | 'issuer'> | undefined {
  return 'preset' in server ? (Object.hasOwn(presets, server.preset) ? presets[server.preset] : undefined) : server.config
}

/** The server in words, for messages: a preset by name, or its issuer or token endpoint's origin, and the client. */
export function describeServer(config: Pick<OAuthConfig, 'clientId' | 'issuer'> & { tokenUrl?: string }, presets: AccountPresets = {}): string {
  const preset = Object.entries(presets).find(([, p]) => p.clientId === config.clientId && p.tokenUrl === config.tokenUrl)?.[0]
  if (preset) return `the ${preset} preset`
  const where = config.issuer ?? (config.tokenUrl ? safeOrigin(config.tokenUrl) : 'an unnamed server')
  return `${where} (client ${config.clientId})`
}

const safeOrigin = (url: string) => URL.canParse(url) ? new URL(url).origin : url

/**
 * Whether `config` names the server an account's tokens belong to: the same client at the same
 * token endpoint (or, for a config not yet discovered, the same issuer). Returns the reason
 * when not, `undefined` when it does or when the account recorded no server. An account of a
 * preset that `presets` does not define never matches.
 */
export function serverMismatch(account: { name: string; server?: AccountServer }, config: Pick<OAuthConfig, 'clientId' | 'issuer'> & { tokenUrl?: string }, presets: AccountPresets = {}): string | undefined {
  if (!account.server) return undefined
  const recorded = serverConfig(account.server, presets)
  if (!recorded) {
    const name = (account.server as { preset: string }).preset
    return `Account "${account.name}" belongs to the ${name} preset, which this program does not define (Accounts option \`presets\`): its tokens are never sent to a server it cannot check.`
  }
  const same =
    recorded.clientId === config.clientId &&
    (config.tokenUrl !== undefined ? recorded.tokenUrl === config.tokenUrl : recorded.issuer !== undefined && recorded.issuer === config.issuer)
  if (same) return undefined
  return `Account "${account.name}" belongs to ${describeServer(recorded, presets)}, not ${describeServer(config, presets)}: its tokens are never sent to another server. Leave the other server out (the account's own is used), or log in to the account again at the new one.`
}

const PRESET_NAME = /^[a-z][a-z0-9-]{0,31}$/

/** Whether a value read from the account list (or given to `add`) is a server it can record. */
export function validServer(server: unknown): boolean {
  if (server === undefined) return true
  if (typeof server !== 'object' || server === null) return false
  if ('preset' in server) return typeof server.preset === 'string' && PRESET_NAME.test(server.preset)
  const { config, configFile } = server as { config?: { clientId?: unknown; tokenUrl?: unknown }; configFile?: unknown }
  return typeof config === 'object' && config !== null && typeof config.clientId === 'string' && typeof config.tokenUrl === 'string' && (configFile === undefined || typeof configFile === 'string')
}

/** A server as the list keeps it: never a client secret or private key, whatever was passed. */
export function withoutSecrets(server: AccountServer): AccountServer {
  if ('preset' in server) return { preset: server.preset }
  const { clientSecret: _s, clientPrivateKey: _k, ...config } = server.config as OAuthConfig
  return { config, ...(server.configFile ? { configFile: server.configFile } : {}) }
}
