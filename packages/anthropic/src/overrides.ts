import { ERR_INVALID_ARG_VALUE, invalidArgument, isLoopbackUrl, type ResolvedOAuthConfig } from '@oauth/core'
import { ANTHROPIC_OAUTH_CONFIG } from './preset.js'

/** The environment, as `process.env` or a plain object (this package runs where there is no `process`). */
export type AnthropicEnv = Readonly<Record<string, string | undefined>>

/** One value of a preset that came from the environment, for `status` to show. */
export interface AnthropicOverride {
  /** The variable that set it. */
  variable: string
  /** The config field it set. */
  field: string
  value: string
}

/**
 * The variables that move the subscription preset, so that users can follow the service the day it
 * moves, without a release. Claude Code's own names where it has one (its `src/constants/oauth.ts`,
 * `getOauthConfig()`, as mirrored in public ports read 2026-12-06: `CLAUDE_CODE_CUSTOM_OAUTH_URL`
 * replaces every host with one base URL, `CLAUDE_CODE_OAUTH_CLIENT_ID` the client; its settings
 * reference lists `CLAUDE_CODE_OAUTH_SCOPES`); ours, `ANTHROPIC_OAUTH_*`, for the values it has no
 * variable for. A finer variable wins over the base URL.
 */
export const ANTHROPIC_PRESET_VARIABLES = {
  CLAUDE_CODE_CUSTOM_OAUTH_URL: 'authorizeUrl, tokenUrl and redirectUri under one base URL',
  CLAUDE_CODE_OAUTH_CLIENT_ID: 'clientId',
  CLAUDE_CODE_OAUTH_SCOPES: 'scopes',
  ANTHROPIC_OAUTH_AUTHORIZE_URL: 'authorizeUrl',
  ANTHROPIC_OAUTH_TOKEN_URL: 'tokenUrl (and no fallback endpoints)',
  ANTHROPIC_OAUTH_REDIRECT_URI: 'redirectUri (the paste page)',
  ANTHROPIC_OAUTH_BETA: 'the anthropic-beta header of token requests',
  ANTHROPIC_OAUTH_USER_AGENT: 'userAgent',
} as const

function url(variable: string, value: string): string {
  const parsed = URL.canParse(value) ? new URL(value) : undefined
  if (!parsed || !(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopbackUrl(parsed)))) {
    throw invalidArgument(ERR_INVALID_ARG_VALUE, `${variable} must be an https URL (or http on a loopback host), not "${value.slice(0, 100)}".`)
  }
  return value
}

/**
 * The subscription preset ({@link ANTHROPIC_OAUTH_CONFIG}) with the environment's overrides
 * applied (see {@link ANTHROPIC_PRESET_VARIABLES}), and which values they set. Without any of
 * those variables it is the preset itself. A URL that is not https (or http on loopback) is a
 * `TypeError` (`ERR_INVALID_ARG_VALUE`), before anything is sent.
 *
 * @example
 * ```ts
 * import { anthropicPresetFromEnv } from '@oauth/anthropic'
 * const { config, overrides } = anthropicPresetFromEnv({ CLAUDE_CODE_OAUTH_CLIENT_ID: 'my-client' })
 * config.clientId // 'my-client'
 * overrides // [{ variable: 'CLAUDE_CODE_OAUTH_CLIENT_ID', field: 'clientId', value: 'my-client' }]
 * ```
 */
export function anthropicPresetFromEnv(env: AnthropicEnv): { config: ResolvedOAuthConfig; overrides: AnthropicOverride[] } {
  const overrides: AnthropicOverride[] = []
  const set = (variable: keyof typeof ANTHROPIC_PRESET_VARIABLES, field: string): string | undefined => {
    const value = env[variable]?.trim()
    if (!value) return undefined
    overrides.push({ variable, field, value })
    return value
  }
  let config: ResolvedOAuthConfig = ANTHROPIC_OAUTH_CONFIG
  const base = set('CLAUDE_CODE_CUSTOM_OAUTH_URL', 'authorizeUrl, tokenUrl, redirectUri')
  if (base) {
    const root = url('CLAUDE_CODE_CUSTOM_OAUTH_URL', base).replace(/\/+$/, '')
    config = { ...config, authorizeUrl: `${root}/oauth/authorize`, tokenUrl: `${root}/v1/oauth/token`, tokenUrlFallbacks: [], redirectUri: `${root}/oauth/code/callback` }
  }
  const clientId = set('CLAUDE_CODE_OAUTH_CLIENT_ID', 'clientId')
  const scopes = set('CLAUDE_CODE_OAUTH_SCOPES', 'scopes')
  const authorizeUrl = set('ANTHROPIC_OAUTH_AUTHORIZE_URL', 'authorizeUrl')
  const tokenUrl = set('ANTHROPIC_OAUTH_TOKEN_URL', 'tokenUrl')
  const redirectUri = set('ANTHROPIC_OAUTH_REDIRECT_URI', 'redirectUri')
  const beta = set('ANTHROPIC_OAUTH_BETA', 'tokenRequestHeaders.anthropic-beta')
  const userAgent = set('ANTHROPIC_OAUTH_USER_AGENT', 'userAgent')
  if (!overrides.length) return { config, overrides }
  config = {
    ...config,
    ...(clientId ? { clientId } : {}),
    ...(scopes ? { scopes } : {}),
    ...(authorizeUrl ? { authorizeUrl: url('ANTHROPIC_OAUTH_AUTHORIZE_URL', authorizeUrl) } : {}),
    // The endpoint named is the one: the preset's fallbacks belong to its own endpoint.
    ...(tokenUrl ? { tokenUrl: url('ANTHROPIC_OAUTH_TOKEN_URL', tokenUrl), tokenUrlFallbacks: [] } : {}),
    ...(redirectUri ? { redirectUri: url('ANTHROPIC_OAUTH_REDIRECT_URI', redirectUri) } : {}),
    ...(beta ? { tokenRequestHeaders: { ...config.tokenRequestHeaders, 'anthropic-beta': beta } } : {}),
    ...(userAgent ? { userAgent } : {}),
  }
  return { config, overrides }
}
