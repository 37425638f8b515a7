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
