import { OAUTH_INVALID_TOKEN_RESPONSE, OAuthFlowError, TOKEN_STORE_CORRUPT, TokenStorageError } from './errors.js'

/** The organization a token acts for, as the Anthropic token endpoint reports it. */
export interface OrganizationInfo {
  uuid: string
  name: string
}

/** The account that signed in, as the Anthropic token endpoint reports it. */
export interface AccountInfo {
  uuid: string
  emailAddress: string
}

/** The workspace an Anthropic Console token is bound to (`wrkspc_…`), as the token endpoint reports it. */
export interface WorkspaceInfo {
  id: string
  name: string
}

/** A token set as the libraries hold it. */
export interface OAuthTokens {
  accessToken: string
  /** Absent when the server issued none (or the environment gave none): such tokens cannot be refreshed. */
  refreshToken?: string
  /** Epoch milliseconds; absent when the server did not say (then the token is used until a 401). */
  expiresAt?: number
  /** Epoch milliseconds at which the token endpoint issued these tokens: with `expiresAt`, their lifetime (see {@link isExpired}). */
  issuedAt?: number
  /**
   * Epoch milliseconds before which no refresh may be sent: the token endpoint answered 429 with
   * `Retry-After`. Saved with the tokens, so every process sharing the store (and the next CLI
   * call) honours it; the access token is served meanwhile while it is valid.
   */
  refreshNotBefore?: number
  /** `Bearer` for every server these libraries support. */
  tokenType: string
  /** Space-separated scopes granted; empty when the server did not say. */
  scope: string
  organization?: OrganizationInfo
  account?: AccountInfo
  workspace?: WorkspaceInfo
}

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

function field(obj: Json, key: string, required: boolean, fail: (why: string) => never): string | undefined {
  const value = obj[key]
  if (value === undefined || value === null) {
    if (required) fail(`\`${key}\` is missing`)
    return undefined
  }
  if (typeof value !== 'string' || value === '') fail(`\`${key}\` must be a non-empty string, got ${describe(value)}`)
  return value
}

// RFC 6749 Appendix A.12, A.17: tokens are VSCHARs (%x20-7E). A CR, LF or NUL in one would
// split or end an HTTP header; such a token is refused where it is parsed.
const VSCHARS = /^[\x20-\x7e]+$/
/** Ten years: longer than any real token lives (a long-lived Anthropic token lasts one). */
const MAX_LIFETIME_SECONDS = 315_360_000 // 10 × 365 days: a literal, which bundlers drop when unused
/** The largest epoch milliseconds a `Date` can hold (ECMA-262 §21.4.1.22). */
const MAX_DATE_MS = 8.64e15

function checkToken(value: string | undefined, key: string, fail: (why: string) => never): void {
  if (value !== undefined && !VSCHARS.test(value)) fail(`\`${key}\` contains characters a token cannot have (control characters or non-ASCII)`)
}

/** Says what a value is without saying what it holds (it may be a token). */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string'
  return `a ${typeof value}`
}

/**
 * Turns a token-endpoint response body (parsed JSON) into {@link OAuthTokens}, computing
 * `expiresAt` from `expires_in` and `now` (epoch ms). Validates as RFC 6749 §5.1 says:
 * `access_token` and `token_type` are required, `expires_in` must be a non-negative number
 * (a string such as `"3600"` is refused, not coerced). Anything malformed is an
 * `OAUTH_INVALID_TOKEN_RESPONSE` error naming the field, never its value.
 *
 * @example
 * ```ts
 * import { tokensFromResponse } from '@oauth/core'
 * const tokens = tokensFromResponse(
 *   { access_token: 'at', refresh_token: 'rt', expires_in: 3600, token_type: 'Bearer' },
 *   Date.UTC(2026, 0, 1),
 * )
 * tokens.expiresAt // Date.UTC(2026, 0, 1) + 3_600_000
 * ```
 */
export function tokensFromResponse(json: unknown, now: number = Date.now()): OAuthTokens {
  const fail = (why: string): never => {
    throw new OAuthFlowError(
      OAUTH_INVALID_TOKEN_RESPONSE,
      `The token endpoint answered with an unusable token response: ${why}. Check the token URL; if it is right, the server is misbehaving.`,
    )
  }
  if (!isObject(json)) fail(`expected a JSON object, got ${describe(json)}`)
  const body = json as Json
  const accessToken = field(body, 'access_token', true, fail)!
  const tokenType = field(body, 'token_type', true, fail)!
  // RFC 6750: only bearer tokens are usable here.
  if (tokenType.toLowerCase() !== 'bearer') fail('`token_type` is not Bearer')
  const tokens: OAuthTokens = { accessToken, tokenType, scope: field(body, 'scope', false, fail) ?? '' }
  const refreshToken = field(body, 'refresh_token', false, fail)
  checkToken(accessToken, 'access_token', fail)
  checkToken(refreshToken, 'refresh_token', fail)
  if (refreshToken !== undefined) tokens.refreshToken = refreshToken
  const expiresIn = body.expires_in
  if (expiresIn !== undefined && expiresIn !== null) {
    if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 0) {
      fail(`\`expires_in\` must be a non-negative number of seconds, got ${describe(expiresIn)}`)
    }
    // An absurd lifetime would later break every date computed from it (RangeError: Invalid time value).
    if ((expiresIn as number) > MAX_LIFETIME_SECONDS) fail(`\`expires_in\` is ${expiresIn} s, more than ten years: no real token lives that long`)
    tokens.expiresAt = now + (expiresIn as number) * 1000
    tokens.issuedAt = now
  }
  const org = body.organization
  if (org !== undefined && org !== null) {
    if (!isObject(org)) fail('`organization` must be an object')
    const o = org as Json
    tokens.organization = { uuid: field(o, 'uuid', true, fail)!, name: field(o, 'name', true, fail)! }
  }
  const account = body.account
  if (account !== undefined && account !== null) {
    if (!isObject(account)) fail('`account` must be an object')
    const a = account as Json
    tokens.account = { uuid: field(a, 'uuid', true, fail)!, emailAddress: field(a, 'email_address', true, fail)! }
  }
  // The Console login of Anthropic's CLI: `workspace {id, name}` (anthropics/anthropic-cli cmd_auth.go, tokenResponse).
  const workspace = body.workspace
  if (isObject(workspace) && workspace.id) tokens.workspace = { id: field(workspace, 'id', true, fail)!, name: field(workspace, 'name', false, fail) ?? '' }
  return tokens
}

/**
 * Tokens whose whole life is short (Keycloak's default is 5 minutes) would be "expiring" from
 * the moment they were issued under a flat buffer, and refreshed on every call; for them the
 * buffer is this share of their lifetime instead.
 */
const BUFFER_SHARE_OF_LIFETIME = 0.25

/**
 * A token counts as expiring this many seconds before its `expiresAt` (or a quarter of its
 * lifetime, when that is shorter: see {@link isExpired}). For every server, not only Anthropic's.
 */
export const EXPIRY_BUFFER_SECONDS = 300

/**
 * How long before `expiresAt` these tokens count as expiring, in milliseconds: `bufferSeconds`,
 * or a quarter of the tokens' lifetime when that is shorter (the lifetime is known when
 * `issuedAt` is). This is the one rule: the token manager, the CLI and the credentials
 * provider handed to the Anthropic SDK all follow it.
 */
export function expiryBufferMs(tokens: OAuthTokens, bufferSeconds: number = EXPIRY_BUFFER_SECONDS): number {
  const buffer = bufferSeconds * 1000
  const { issuedAt, expiresAt } = tokens
  if (issuedAt === undefined || expiresAt === undefined || issuedAt > expiresAt) return buffer
  return Math.min(buffer, (expiresAt - issuedAt) * BUFFER_SHARE_OF_LIFETIME)
}

/**
 * True when the access token is expired or expires within the buffer: `bufferSeconds`
 * (default {@link EXPIRY_BUFFER_SECONDS}, 5 minutes), or a quarter of the tokens' lifetime
 * when that is shorter ({@link expiryBufferMs}). Tokens without `expiresAt` are never
 * considered expired; a 401 tells instead.
 *
 * @example
 * ```ts
 * import { isExpired } from '@oauth/core'
 * isExpired({ accessToken: 'at', tokenType: 'Bearer', scope: '', expiresAt: Date.now() + 60_000 }) // true: inside the 5-minute buffer
 * const now = Date.now()
 * isExpired({ accessToken: 'at', tokenType: 'Bearer', scope: '', issuedAt: now, expiresAt: now + 300_000 }, now + 200_000) // false: a 5-minute token is expiring in its last 75 s
 * ```
 */
export function isExpired(tokens: OAuthTokens, now: number = Date.now(), bufferSeconds: number = EXPIRY_BUFFER_SECONDS): boolean {
  return tokens.expiresAt !== undefined && now + expiryBufferMs(tokens, bufferSeconds) >= tokens.expiresAt
}

/**
 * Epoch seconds or epoch milliseconds → epoch milliseconds. Values below 10^11 are
 * seconds (10^11 s is the year 5138; 10^11 ms is 1973), so both readings of an
 * `expires_at` are safe.
 */
export function toEpochMillis(value: number): number {
  return value < 1e11 ? value * 1000 : value
}

/**
 * The JSON text the storages write: snake_case, `expires_at` in epoch seconds, the same
 * layout the Anthropic Python SDK's OAuth token file uses, so both can share one file.
 * `keep` holds fields written beside the tokens (those of the file being replaced that this
 * library does not know); the tokens' own fields win over them. `indent` pretty-prints.
 *
 * @example
 * ```ts
 * import { deserializeTokens, serializeTokens } from '@oauth/core'
 * const text = serializeTokens({ accessToken: 'at', refreshToken: 'rt', expiresAt: 1_800_000_000_000, tokenType: 'Bearer', scope: '' })
 * deserializeTokens(text, 'example').expiresAt // 1_800_000_000_000
 * ```
 */
export function serializeTokens(tokens: OAuthTokens, options: { keep?: Readonly<Record<string, unknown>>; indent?: number } = {}): string {
  const own = {
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken ?? '',
    expires_at: tokens.expiresAt === undefined ? null : tokens.expiresAt / 1000,
    token_type: tokens.tokenType,
    scope: tokens.scope,
    organization: tokens.organization ?? null,
    account: tokens.account ? { uuid: tokens.account.uuid, email_address: tokens.account.emailAddress } : null,
    workspace: tokens.workspace ?? null,
    // Always written (null when unknown): a file store keeps fields it does not know, and must
    // not keep a stale value of one of these.
    issued_at: tokens.issuedAt === undefined ? null : tokens.issuedAt / 1000,
    refresh_not_before: tokens.refreshNotBefore === undefined ? null : tokens.refreshNotBefore / 1000,
  }
  return JSON.stringify(options.keep ? { ...options.keep, ...own } : own, null, options.indent)
}

/**
 * Parses what {@link serializeTokens} wrote (and the Python SDK's file, whose `expires_at`
 * may be seconds or milliseconds). Anything else is a {@link TokenStorageError}
 * (`TOKEN_STORE_CORRUPT`) that names `source` (a path, a key) and never the content.
 */
export function deserializeTokens(text: string, source: string): OAuthTokens {
  return parseStoredTokens(text, source).tokens
}

/**
 * {@link deserializeTokens}, also returning every top-level field of the stored JSON, so a
 * store that rewrites the item can keep the fields other tools wrote (`serializeTokens`'s `keep`).
 */
export function parseStoredTokens(text: string, source: string): { tokens: OAuthTokens; fields: Readonly<Record<string, unknown>> } {
  const fail = (why: string): never => {
    throw new TokenStorageError(
      TOKEN_STORE_CORRUPT,
      `Stored tokens in ${source} are unreadable: ${why}. The store was left as it is; fix or remove it, then log in again.`,
    )
  }
  let json: unknown
  try {
    // A UTF-8 byte-order mark, as Windows editors write one, is not part of the JSON.
    json = JSON.parse(text.replace(/^\ufeff/, ''))
  } catch {
    fail(text.trim() === '' ? 'it is empty' : 'it is not valid JSON')
  }
  if (!isObject(json)) fail(`expected a JSON object, got ${describe(json)}`)
  const body = json as Json
  const tokens: OAuthTokens = {
    accessToken: field(body, 'access_token', true, fail)!,
    tokenType: field(body, 'token_type', false, fail) ?? 'Bearer',
    scope: typeof body.scope === 'string' ? body.scope : '',
  }
  // The Python SDK writes an empty string when there is no refresh token.
  if (typeof body.refresh_token === 'string' && body.refresh_token !== '') tokens.refreshToken = body.refresh_token
  checkToken(tokens.accessToken, 'access_token', fail)
  checkToken(tokens.refreshToken, 'refresh_token', fail)
  const instant = (key: string): number | undefined => {
    const value = body[key]
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(`\`${key}\` must be a number`)
    const ms = Math.round(toEpochMillis(value as number))
    if (ms > MAX_DATE_MS) fail(`\`${key}\` is beyond any date`)
    return ms
  }
  const expiresAt = instant('expires_at')
  if (expiresAt !== undefined) tokens.expiresAt = expiresAt
  const issuedAt = instant('issued_at')
  if (issuedAt !== undefined) tokens.issuedAt = issuedAt
  const refreshNotBefore = instant('refresh_not_before')
  if (refreshNotBefore !== undefined) tokens.refreshNotBefore = refreshNotBefore
  if (isObject(body.organization)) {
    tokens.organization = { uuid: field(body.organization, 'uuid', true, fail)!, name: field(body.organization, 'name', true, fail)! }
  }
  if (isObject(body.account)) {
    tokens.account = {
      uuid: field(body.account, 'uuid', true, fail)!,
      emailAddress: field(body.account, 'email_address', true, fail)!,
    }
  }
  if (isObject(body.workspace)) tokens.workspace = { id: field(body.workspace, 'id', true, fail)!, name: field(body.workspace, 'name', false, fail) ?? '' }
  return { tokens, fields: body }
}
