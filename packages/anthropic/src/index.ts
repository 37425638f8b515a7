export * from './presets.js'
export { anthropicPolicyError, rejectPolicyRefusal } from './policy.js'
export { createAnthropicFetch, mergeBetas, signRequest, type AnthropicExtras, type AnthropicFetchOptions } from './fetch.js'
export {
  AnthropicApiKey,
  createAnthropicApiKey,
  fetchAnthropicProfile,
  fetchAnthropicUsage,
  type AnthropicApiOptions,
  type AnthropicProfile,
  type AnthropicUsage,
  type AnthropicUsageWindow,
} from './account.js'
