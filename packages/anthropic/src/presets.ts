// `@oauth/anthropic/presets`: the presets, the Console login's config and the environment
// overrides, without the account endpoints and `createAnthropicFetch` (which bring
// `@oauth/http`). For programs that only need the values: the CLI's `token` fast path, a
// browser's login page.
export {
  ANTHROPIC_ACCOUNT_PRESETS,
  ANTHROPIC_OAUTH_CONFIG,
  DEFAULT_AUTHORIZE_URL,
  ANTHROPIC_CONSOLE_AUTHORIZE_URL,
  DEFAULT_CLIENT_ID,
  ANTHROPIC_LOOPBACK_REDIRECT_URI,
  DEFAULT_OAUTH_BETAS,
  DEFAULT_REDIRECT_URI,
  DEFAULT_SCOPES,
  DEFAULT_TOKEN_URL,
  ANTHROPIC_TOKEN_URL_FALLBACKS,
  DEFAULT_USER_AGENT,
  LEGACY_ANTHROPIC_OAUTH_CONFIG,
  ANTHROPIC_LONG_LIVED_EXPIRES_IN_SECONDS,
  ANTHROPIC_LONG_LIVED_SCOPES,
  ANTHROPIC_OAUTH_BETA,
} from './preset.js'
export {
  ANTHROPIC_API_URL,
  ANTHROPIC_CLI_CLIENT_ID,
  ANTHROPIC_CLI_OAUTH_CONFIG,
  ANTHROPIC_CLI_SCOPES,
  ANTHROPIC_CONSOLE_URL,
  anthropicCliConfig,
  type AnthropicCliLoginOptions,
} from './cli-login.js'
export { ANTHROPIC_PRESET_VARIABLES, anthropicPresetFromEnv, type AnthropicEnv, type AnthropicOverride } from './overrides.js'
