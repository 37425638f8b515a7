import {
  OAUTH_POLICY_CLAUDE_CODE_ONLY,
  OAUTH_POLICY_CLIENT_VERSION,
  OAUTH_POLICY_EXTRA_USAGE,
  OAUTH_POLICY_OAUTH_UNSUPPORTED,
  OAUTH_POLICY_REFUSED,
  OAuthPolicyError,
  sanitizeText,
} from '@oauth/core'

const TERMS = "Anthropic's terms restrict subscription OAuth tokens to Anthropic's own apps; see https://www.anthropic.com/legal/consumer-terms. Your login is fine: this is not fixed by logging in again."

// The answers the Messages API gives subscription tokens used outside Anthropic's own apps,
// each as public issue threads show it (all `{"type":"error","error":{"type":…,"message":…}}`):
const RULES: { status: number; test: (message: string, errorCode: unknown) => boolean; code: string; what: string }[] = [
  // anthropics/claude-code#45048 and #45911 (2026-04), ianjwhite99/opencode-with-claude#91
  { status: 400, test: (m) => m.includes('now draw from your extra usage'), code: OAUTH_POLICY_EXTRA_USAGE, what: 'Requests from apps other than Anthropic’s own are billed to extra usage, not to the plan.' },
  // The newer wording, once that extra usage is spent: "You're out of extra usage. Add more at
  // claude.ai/settings/usage and keep going." (NousResearch/hermes-agent#20732, 2026-05-06; #48176; #65564, 2026-07-16)
  {
    status: 400,
    test: (m) => m.includes('out of extra usage'),
    code: OAUTH_POLICY_EXTRA_USAGE,
    what: 'The extra usage that requests from apps other than Anthropic’s own draw on is spent: add more at claude.ai/settings/usage, or wait until it renews.',
  },
  // Models gated on the client version the request claims, with `details.error_code`
  // `claude_code_version_too_old` (anthropics/claude-code#96130, 2026-09-22; griffinmartin/opencode-claude-auth#284,
  // 2026-09-22; paoloanzn/pi-black#6, 2026-09-03): "Claude Code 2.1.275 does not support this model; version 2.1.280
  // or newer is required. Run 'claude update', or update the Claude desktop app, then try again."
  {
    status: 400,
    test: (m, errorCode) => errorCode === 'claude_code_version_too_old' || /does not support this model; version \S+ or newer is required/.test(m),
    code: OAUTH_POLICY_CLIENT_VERSION,
    what: 'This model is served only to newer versions of Claude Code than the User-Agent of this client claims. Choose another model; updating this library may raise the version its preset claims.',
  },
  // anthropics/claude-code#24198 and #24690 (2026-02), anymorph-ai/Claudable#45
  { status: 400, test: (m) => m.includes('only authorized for use with Claude Code'), code: OAUTH_POLICY_CLAUDE_CODE_ONLY, what: 'This credential may only be used by Claude Code.' },
  // bytedance/deer-flow#1245 (2026-03): a bare "Error" for the same token that Claude Code can use
  { status: 400, test: (m) => m.trim() === 'Error', code: OAUTH_POLICY_REFUSED, what: 'The API refused this subscription token without saying why ("Error").' },
  // anthropics/anthropic-sdk-python#988 (2026-03-04) and anomalyco/opencode#17910 (2026-03-17): the
  // 401 the API gives OAuth tokens where it does not accept them (anthropics/claude-code#5983, 2025-08)
  { status: 401, test: (m) => m.includes('OAuth authentication is currently not supported'), code: OAUTH_POLICY_OAUTH_UNSUPPORTED, what: 'The API does not accept OAuth tokens for this request.' },
]

/**
 * Reads an Anthropic API error answer and returns the typed policy refusal it is, or
 * `undefined` when it is any other error (which the caller handles as usual).
 *
 * @example
 * ```ts
 * import { anthropicPolicyError } from '@oauth/anthropic'
 * const body = '{"type":"error","error":{"type":"invalid_request_error","message":"Error"}}'
 * anthropicPolicyError(400, body)?.code // 'OAUTH_POLICY_REFUSED'
 * ```
 */
export function anthropicPolicyError(status: number, body: string): OAuthPolicyError | undefined {
  if (status !== 400 && status !== 401) return undefined
  let message: unknown
  let errorCode: unknown
  try {
    const error = (JSON.parse(body) as { error?: { message?: unknown; details?: { error_code?: unknown } } })?.error
    message = error?.message
    errorCode = error?.details?.error_code
  } catch {
    return undefined
  }
  if (typeof message !== 'string') return undefined
  const rule = RULES.find((r) => r.status === status && r.test(message as string, errorCode))
  if (!rule) return undefined
  return new OAuthPolicyError(rule.code, status, `${rule.what} The API answered HTTP ${status}: "${sanitizeText(message, 300)}". ${TERMS}`)
}

/**
 * Passes an API response through, unless it is a policy refusal of the subscription token:
 * then its body is released and the {@link OAuthPolicyError} is thrown. The one check that
 * `createOAuthFetch` and `AnthropicOAuth` both run on every answer.
 *
 * @example
 * ```ts
 * import { rejectPolicyRefusal } from '@oauth/anthropic'
 * const response = await rejectPolicyRefusal(await fetch('https://api.anthropic.com/v1/models'))
 * ```
 */
export async function rejectPolicyRefusal(response: Response): Promise<Response> {
  if (response.status !== 400 && response.status !== 401) return response
  const refusal = anthropicPolicyError(response.status, await response.clone().text())
  if (!refusal) return response
  response.body?.cancel().catch(() => {}) // not awaited: some bodies settle a cancel only when drained
  throw refusal
}
