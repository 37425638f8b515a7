// Fault injection: the policy refusals of the Messages API, and failures of the token endpoint.
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  OAUTH_POLICY_CLAUDE_CODE_ONLY,
  OAUTH_POLICY_CLIENT_VERSION,
  OAUTH_POLICY_EXTRA_USAGE,
  OAUTH_POLICY_OAUTH_UNSUPPORTED,
  OAUTH_POLICY_REFUSED,
} from '@oauth/core'
import { json, type State } from './state.js'

/** The Messages API's answers to subscription tokens used outside Anthropic's apps, as issue threads quote them. */
export const POLICY_ANSWERS = {
  // anthropics/claude-code#45911 (2026-04)
  'extra-usage': {
    status: 400,
    message: "Third-party apps now draw from your extra usage, not your plan limits. We've added a $100 credit to get you started. Claim it at claude.ai/settings/usage and keep going.",
  },
  // anthropics/claude-code#24198 (2026-02)
  'claude-code-only': { status: 400, message: 'This credential is only authorized for use with Claude Code and cannot be used for other API requests.' },
  // bytedance/deer-flow#1245 (2026-03)
  bare: { status: 400, message: 'Error' },
  // anthropics/anthropic-sdk-python#988 (2026-03-04), anomalyco/opencode#17910 (2026-03-17)
  'oauth-unsupported': { status: 401, message: 'OAuth authentication is currently not supported.' },
  // NousResearch/hermes-agent#20732 (2026-05-06), #65564 (2026-07-16)
  'out-of-extra-usage': { status: 400, message: "You're out of extra usage. Add more at claude.ai/settings/usage and keep going." },
  // anthropics/claude-code#96130 (2026-09-22), with details.error_code claude_code_version_too_old
  'version-too-old': {
    status: 400,
    message: "Claude Code 2.1.2 does not support this model; version 2.1.280 or newer is required. Run 'claude update', or update the Claude desktop app, then try again.",
    details: { error_code: 'claude_code_version_too_old' },
  },
} as const

/**
 * What the tests expect our code to make of each answer above: its `OAUTH_POLICY_*` code. Not the
 * stand-in's behaviour (it never reads this); one table, so that every answer has an expectation.
 */
export const EXPECTED_POLICY_CODES: Record<keyof typeof POLICY_ANSWERS, string> = {
  'extra-usage': OAUTH_POLICY_EXTRA_USAGE,
  'claude-code-only': OAUTH_POLICY_CLAUDE_CODE_ONLY,
  bare: OAUTH_POLICY_REFUSED,
  'oauth-unsupported': OAUTH_POLICY_OAUTH_UNSUPPORTED,
  'out-of-extra-usage': OAUTH_POLICY_EXTRA_USAGE,
  'version-too-old': OAUTH_POLICY_CLIENT_VERSION,
}

/** Answers a token request with the failure set up for it; whether it did. */
export function tokenFault(s: State, req: IncomingMessage, res: ServerResponse): boolean {
  if (s.standIn.tokenTransportFailure === 'reset') return req.socket.destroy(), true
  if (s.standIn.tokenTransportFailure === 'stall') return true
  if (s.failures && s.failures.n > 0) {
    s.failures.n--
    return json(res, s.failures.failure.status, s.failures.failure.body, s.failures.failure.headers), true
  }
  if (s.standIn.tokenFailure) return json(res, s.standIn.tokenFailure.status, s.standIn.tokenFailure.body, s.standIn.tokenFailure.headers), true
  return false
}

/** Answers an API request with the policy refusal set up; whether it did. */
export function policyRefusal(s: State, res: ServerResponse): boolean {
  if (!s.standIn.policy) return false
  const answer: { status: number; message: string; details?: unknown } = POLICY_ANSWERS[s.standIn.policy]
  const { status, message, details } = answer
  json(res, status, { type: 'error', error: { type: status === 401 ? 'authentication_error' : 'invalid_request_error', message, ...(details ? { details } : {}) }, request_id: 'req_standin' })
  return true
}
