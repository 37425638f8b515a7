// The Anthropic account endpoints the first-party CLI calls on the API host, with the OAuth
// access token: who is signed in, how much of the plan's usage windows is spent, and (for a
// Console login) a new API key. None is documented by Anthropic; each shape below is what
// public sources show the service answering in 2026, cited where it is read.
import {
  INSPECT,
  OAUTH_API_ERROR,
  OAUTH_NETWORK_ERROR,
  OAUTH_RATE_LIMITED,
  OAUTH_RESPONSE_LOST,
  OAUTH_SCOPE_INSUFFICIENT,
  OAUTH_SERVER_ERROR,
  OAUTH_TIMEOUT,
  inspectSummary,
  OAuthError,
  sanitizeText,
} from '@oauth/core'
import { OAuthHttpError, readCapped, requestSignal, retryAfter } from '@oauth/http'
import { ANTHROPIC_OAUTH_BETA, DEFAULT_USER_AGENT } from './preset.js'

/** Options for the Anthropic account calls. */
export interface AnthropicApiOptions {
  /**
   * The API host. Default: `ANTHROPIC_BASE_URL` where the runtime has an environment (as the
   * Anthropic SDK reads it), else `https://api.anthropic.com`.
   */
  baseUrl?: string
  /** Default: the preset's `DEFAULT_USER_AGENT`. */
  userAgent?: string
  /** Default 15 s. */
  timeoutMs?: number
  signal?: AbortSignal
  fetch?: typeof fetch
}

/** The signed-in account, from `GET /api/oauth/profile`. Strings are sanitised (they reach terminals). */
export interface AnthropicProfile {
  email: string | null
  displayName: string | null
  accountUuid: string | null
  organization: {
    uuid: string | null
    name: string | null
    /** `claude_max`, `claude_pro`, `claude_team`, `claude_enterprise`, or another value for Console organizations. */
    type: string | null
    rateLimitTier: string | null
    billingType: string | null
  } | null
  /** `max`, `pro`, `team`, `enterprise` (from the account flags or the organization type), or `null` when neither says. */
  subscription: string | null
}

/** One usage window of the plan. */
export interface AnthropicUsageWindow {
  /** The service's key: `five_hour`, `seven_day`, `seven_day_opus`, `seven_day_sonnet`, … */
  id: string
  /** `5-hour`, `7-day`, `7-day Opus`, … */
  label: string
  /** Percent of the window used, as the service reports it (0–100; not clamped). */
  utilization: number
  /** When the window resets (ISO 8601), or `null` when the service does not say. */
  resetsAt: string | null
}

/** The plan's usage, from `GET /api/oauth/usage`. */
export interface AnthropicUsage {
  /** The 5-hour window first, then the 7-day one, then the model-specific ones. */
  windows: AnthropicUsageWindow[]
  /** Extra usage (paid beyond the plan), when the service reports it enabled. */
  extraUsage: { enabled: boolean; utilization: number | null } | null
}

/**
 * An API key, as created for a Console login. The key is only in `value`: `JSON.stringify`,
 * `util.inspect` and string conversion show `[redacted]`, so logging the object leaks nothing.
 */
export class AnthropicApiKey {
  readonly #value: string
  constructor(value: string) {
    this.#value = value
  }
  /** The key itself (`sk-ant-api…`). Shown once: store it or print it, never log it. */
  get value(): string {
    return this.#value
  }
  toJSON(): Record<string, unknown> {
    return { apiKey: '[redacted]' }
  }
  toString(): string {
    return '[redacted API key]'
  }
  readonly [INSPECT] = inspectSummary
}

const MAX_BODY = 256 * 1024
const text = (value: unknown, max = 200): string | null => (typeof value === 'string' && value !== '' ? sanitizeText(value, max) : null)
/** An identifier (a UUID): kept only when it is one, as sanitizeText would redact its 32+ characters. */
const id = (value: unknown): string | null => (typeof value === 'string' && /^[\w-]{1,64}$/.test(value) ? value : null)
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

function baseUrlOf(options: AnthropicApiOptions): string {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  return (options.baseUrl ?? env?.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com').replace(/\/+$/, '')
}

/** One call to an account endpoint; every failure is an OAuthHttpError without the token or the body's secrets. */
async function call(method: 'GET' | 'POST', path: string, accessToken: string, options: AnthropicApiOptions, body?: unknown): Promise<unknown> {
  const url = `${baseUrlOf(options)}${path}`
  const what = `${method} ${path}`
  const headers: Record<string, string> = {
    authorization: `Bearer ${accessToken}`,
    'anthropic-beta': ANTHROPIC_OAUTH_BETA,
    accept: 'application/json',
    'user-agent': options.userAgent ?? DEFAULT_USER_AGENT,
  }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const signal = requestSignal(options.timeoutMs ?? 15_000, options.signal)
  let response: Response
  let answer: string
  try {
    response = await (options.fetch ?? globalThis.fetch)(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual', signal })
    answer = await readCapped(response, MAX_BODY)
  } catch (err) {
    if (err instanceof OAuthHttpError) throw err
    // A POST whose answer was lost may have done its work (a key created): say so, never re-send.
    const maybeDone = method === 'POST' ? ' The request may have been processed: check before trying again.' : ''
    if ((err as Error)?.name === 'TimeoutError') throw new OAuthHttpError(OAUTH_TIMEOUT, `${what} did not answer in time.${maybeDone}`, { retryable: method === 'GET', cause: err })
    if ((err as Error)?.name === 'AbortError') throw new OAuthHttpError(OAUTH_RESPONSE_LOST, `${what} was aborted by the caller.`, { retryable: false, cause: err })
    if (err instanceof OAuthError) {
      throw new OAuthHttpError(OAUTH_API_ERROR, `${what} answered with more than ${MAX_BODY} bytes; not read.`, { retryable: false, cause: err })
    }
    const code = method === 'POST' ? OAUTH_RESPONSE_LOST : OAUTH_NETWORK_ERROR
    throw new OAuthHttpError(code, `Could not reach ${new URL(url).origin} for ${what}.${maybeDone}`, { retryable: method === 'GET', cause: err })
  }
  const status = response.status
  let json: unknown
  try {
    json = answer === '' ? undefined : JSON.parse(answer)
  } catch {
    json = undefined
  }
  if (status === 200) {
    if (!isObject(json)) throw new OAuthHttpError(OAUTH_API_ERROR, `${what} answered 200 with ${answer === '' ? 'an empty body' : 'a body that is not a JSON object'}.`, { status, retryable: false })
    return json
  }
  // {"type":"error","error":{"type":"permission_error","message":"OAuth token does not meet scope requirement user:profile",
  //  "details":{"required_scopes":["user:profile"],"error_code":"oauth_scope_insufficient"}}} (getpaseo/paseo#4092, 2026-08;
  // anthropics/claude-code#12529, #81015); the profile endpoint says any_of(user:profile, user:office) (alp82/curia#162).
  const error = isObject(json) && isObject(json.error) ? json.error : {}
  const secrets = [accessToken]
  const type = typeof error.type === 'string' ? sanitizeText(error.type, 60, secrets) : undefined
  const message = typeof error.message === 'string' ? sanitizeText(error.message, 300, secrets) : undefined
  const said = type ? `${type}${message ? `: ${message}` : ''}` : answer === '' ? 'an empty body' : 'no error message'
  const details = isObject(error.details) ? error.details : {}
  if (status === 403 && (details.error_code === 'oauth_scope_insufficient' || /scope requirement/i.test(message ?? ''))) {
    const listed = Array.isArray(details.required_scopes) ? details.required_scopes.filter((s): s is string => typeof s === 'string') : []
    const requiredScopes = listed.length ? listed : [...(message ?? '').matchAll(/user:[a-z_:]+|org:[a-z_:]+/g)].map((m) => m[0])
    throw new OAuthHttpError(OAUTH_SCOPE_INSUFFICIENT, `${what}: the token lacks the scope ${requiredScopes.join(' or ') || 'this endpoint needs'} (HTTP 403). A long-lived inference-only login cannot read this; log in without --long-lived.`, {
      status,
      error: type,
      description: message,
      retryable: false,
      requiredScopes,
    })
  }
  const retryAfterMs = retryAfter(response.headers.get('retry-after'), Date.now())
  if (status === 429) {
    throw new OAuthHttpError(OAUTH_RATE_LIMITED, `${what} is rate limited (HTTP 429${retryAfterMs !== undefined ? `, retry in ${Math.ceil(retryAfterMs / 1000)} s` : ''}). The login is fine.`, { status, error: type, description: message, retryable: true, retryAfterMs })
  }
  if (status >= 500) throw new OAuthHttpError(OAUTH_SERVER_ERROR, `${what} failed (HTTP ${status}, ${said}). The login is fine; try again later.`, { status, error: type, description: message, retryable: true, retryAfterMs })
  throw new OAuthHttpError(OAUTH_API_ERROR, `${what} was refused (HTTP ${status}, ${said}).`, { status, error: type, description: message, retryable: false })
}

/**
 * Who is signed in: `GET /api/oauth/profile` on the API host, as the first-party CLI calls it
 * (bearer token, `anthropic-beta: oauth-2025-04-20`). Needs the `user:profile` scope: a long-lived
 * inference-only token gets `OAUTH_SCOPE_INSUFFICIENT`.
 *
 * @example
 * ```ts
 * import { fetchAnthropicProfile } from '@oauth/anthropic'
 * const accessToken = 'sk-ant-oat01-…' // from a TokenManager: await manager.getAccessToken()
 * const profile = await fetchAnthropicProfile(accessToken)
 * console.log(profile.email, profile.organization?.name, profile.subscription)
 * ```
 */
export async function fetchAnthropicProfile(accessToken: string, options: AnthropicApiOptions = {}): Promise<AnthropicProfile> {
  // {"account":{"uuid","email","display_name","has_claude_max","has_claude_pro"},"organization":{"uuid","name",
  //  "organization_type","rate_limit_tier","billing_type"}} (claude-code's OAuthProfileResponse as CLIProxyAPI and
  // usage tools read it: router-for-me/CLIProxyAPI#5083, anthropics/claude-code#81015).
  const json = (await call('GET', '/api/oauth/profile', accessToken, options)) as Record<string, unknown>
  const account = isObject(json.account) ? json.account : {}
  const org = isObject(json.organization) ? json.organization : null
  const type = org ? text(org.organization_type, 60) : null
  const subscription = account.has_claude_max === true ? 'max' : account.has_claude_pro === true ? 'pro' : type?.startsWith('claude_') ? type.slice(7) : null
  return {
    email: text(account.email ?? account.email_address),
    displayName: text(account.display_name ?? account.full_name),
    accountUuid: id(account.uuid),
    organization: org && {
      uuid: id(org.uuid),
      name: text(org.name),
      type,
      rateLimitTier: text(org.rate_limit_tier, 80),
      billingType: text(org.billing_type, 60),
    },
    subscription,
  }
}

const ORDER = ['five_hour', 'seven_day']
function labelOf(id: string): string {
  const known: Record<string, string> = { five_hour: '5-hour', seven_day: '7-day' }
  if (known[id]) return known[id]
  // Empty words (`seven_day_opus_`, `seven_day__x`) are dropped: a key the service adds never breaks the others.
  const words = /^seven_day_(.+)$/.exec(id)?.[1]?.split('_').filter(Boolean) ?? []
  return words.length ? `7-day ${words.map((w) => (w === 'oauth' ? 'OAuth' : w[0]!.toUpperCase() + w.slice(1))).join(' ')}` : id.replace(/_/g, ' ').trim() || id
}

/**
 * How much of the plan's usage windows is spent: `GET /api/oauth/usage` on the API host
 * (bearer token, `anthropic-beta: oauth-2025-04-20`; needs `user:profile`).
 *
 * @example
 * ```ts
 * import { fetchAnthropicUsage } from '@oauth/anthropic'
 * const accessToken = 'sk-ant-oat01-…' // from a TokenManager: await manager.getAccessToken()
 * const usage = await fetchAnthropicUsage(accessToken)
 * for (const w of usage.windows) console.log(w.label, `${w.utilization}%`, w.resetsAt)
 * ```
 */
export async function fetchAnthropicUsage(accessToken: string, options: AnthropicApiOptions = {}): Promise<AnthropicUsage> {
  // {"five_hour":{"utilization":24.0,"resets_at":"2026-01-02T19:59:59.600956+00:00"},"seven_day":{…},
  //  "seven_day_sonnet":{…},"seven_day_opus":null,"seven_day_oauth_apps":null,
  //  "extra_usage":{"is_enabled":false,"monthly_limit":null,"used_credits":null,"utilization":null}}
  // (utilization in percent; OmegAshEnr01n/GnomeCodexBar, charlieyou/aim QUOTA_APIS.md, 2026-01). Windows the
  // service adds later (a new model) are shown too: any key holding {utilization, resets_at}.
  const json = (await call('GET', '/api/oauth/usage', accessToken, options)) as Record<string, unknown>
  const windows: AnthropicUsageWindow[] = []
  for (const [key, value] of Object.entries(json)) {
    if (!isObject(value) || typeof value.utilization !== 'number' || !Number.isFinite(value.utilization) || key === 'extra_usage') continue
    const reset = typeof value.resets_at === 'string' && !Number.isNaN(Date.parse(value.resets_at)) ? new Date(value.resets_at).toISOString() : null
    const name = sanitizeText(key, 60)
    windows.push({ id: name, label: labelOf(name), utilization: value.utilization, resetsAt: reset })
  }
  const rank = (id: string) => (ORDER.includes(id) ? ORDER.indexOf(id) : ORDER.length)
  windows.sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id))
  const extra = isObject(json.extra_usage) ? json.extra_usage : null
  return {
    windows,
    extraUsage: extra && { enabled: extra.is_enabled === true, utilization: typeof extra.utilization === 'number' && Number.isFinite(extra.utilization) ? extra.utilization : null },
  }
}

/**
 * Creates an API key for the organization of a Console login (one that holds
 * `org:create_api_key`): `POST /api/oauth/claude_cli/create_api_key` on the API host, the call
 * the first-party CLI makes after a Console login; the key is in the answer's `raw_key`
 * (anomalyco/opencode-anthropic-auth index.mjs, "Create an API Key"). Each call creates a new
 * key (anthropics/claude-code#9401). A lost answer is `OAUTH_RESPONSE_LOST` and is never re-sent:
 * the key may exist; look in the Console.
 *
 * @example
 * ```ts
 * import { createAnthropicApiKey } from '@oauth/anthropic'
 * const accessToken = 'sk-ant-oat01-…' // a Console login's, from a TokenManager
 * const key = await createAnthropicApiKey(accessToken)
 * console.log(key) // AnthropicApiKey {"apiKey":"[redacted]"}; the key is key.value
 * ```
 */
export async function createAnthropicApiKey(accessToken: string, options: AnthropicApiOptions & { name?: string } = {}): Promise<AnthropicApiKey> {
  // The public sources send no body; `name` is sent only when given (no source shows the field).
  const json = (await call('POST', '/api/oauth/claude_cli/create_api_key', accessToken, options, options.name ? { name: options.name } : {})) as Record<string, unknown>
  const key = json.raw_key
  if (typeof key !== 'string' || !/^[\x21-\x7e]{20,500}$/.test(key)) {
    throw new OAuthHttpError(OAUTH_API_ERROR, 'POST /api/oauth/claude_cli/create_api_key answered 200 without a usable `raw_key`. A key may have been created: look in the Console.', { status: 200, retryable: false })
  }
  return new AnthropicApiKey(key)
}
