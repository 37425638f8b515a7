import { OAuthError, OAuthFlowError, TOKEN_STORE_UNAVAILABLE, TokenStorageError, type OAuthTokens, type TokenStore } from '@oauth/core'
import { DurableObjectTokenStore, type DurableObjectStorageLike } from './durable-object-store.js'

/**
 * What the object needs from a token manager: `TokenManager` from `@oauth/http` has exactly
 * this shape (this package imports only `@oauth/core`, so the refresh code is yours to pass in).
 */
export interface SessionTokenManager {
  getTokens(): Promise<OAuthTokens>
  refresh(options?: { failedAccessToken?: string }): Promise<OAuthTokens>
  setTokens(tokens: OAuthTokens): Promise<void>
  logout(): Promise<{ removed: boolean; revoked: boolean; revocationError?: OAuthError }>
}

/** What a worker gets from the object: an access token and when it ends, never the refresh token. */
export interface SessionAccessToken {
  accessToken: string
  /** Epoch milliseconds, if the server said. */
  expiresAt?: number
}

/** The stub of a Durable Object (`env.SESSIONS.get(id)`): only its `fetch` is used. */
export interface DurableObjectStubLike {
  fetch(input: string, init?: RequestInit): Promise<Response>
}

// The object's own protocol, spoken only between TokenSession and TokenSessionObject through the stub.
const BASE = 'https://oauth-session.internal'

/** An error as it crosses the stub: its class, code and message, and what says when to try again. */
interface WireError {
  name: string
  code: string
  message: string
  status?: number
  retryable?: boolean
  retryAfterMs?: number
}

function errorResponse(err: unknown): Response {
  if (!(err instanceof OAuthError)) {
    console.error(err instanceof Error ? `${err.name}: ${err.message}` : 'session object error')
    return Response.json({ error: { name: 'Error', code: 'ERROR', message: 'The session object failed; see its logs.' } }, { status: 500 })
  }
  // OAuthHttpError (from @oauth/http, which this package does not import) adds these three.
  const { status, retryable, retryAfterMs } = err as { status?: unknown; retryable?: unknown; retryAfterMs?: unknown }
  const error: WireError = {
    name: err.name,
    code: err.code,
    message: err.message,
    ...(typeof status === 'number' && { status }),
    ...(typeof retryable === 'boolean' && { retryable }),
    ...(typeof retryAfterMs === 'number' && { retryAfterMs }),
  }
  return Response.json({ error }, { status: 409 })
}

/**
 * An error the session object raised that is neither about the login (`OAuthFlowError`) nor
 * about its storage (`TokenStorageError`): most often a refresh the authorization server
 * refused, rate limited or failed (`OAuthHttpError` in the object). It keeps the object's
 * `code` and message, and what says whether and when to try again.
 *
 * @example
 * ```ts
 * import { OAUTH_RATE_LIMITED } from '@oauth/core'
 * import { TokenSession, TokenSessionError } from '@oauth/storage-durable-object'
 * declare const session: TokenSession
 * try {
 *   await session.getAccessToken()
 * } catch (err) {
 *   if (err instanceof TokenSessionError && err.code === OAUTH_RATE_LIMITED) console.log(`try again in ${err.retryAfterMs} ms`)
 * }
 * ```
 */
export class TokenSessionError extends OAuthError {
  override name = 'TokenSessionError'
  /** The error's class in the object (`OAuthHttpError`, `OAuthPolicyError`, …). */
  readonly remoteName: string
  /** The authorization server's HTTP status, when it answered. */
  readonly status: number | undefined
  /** Whether the same call may succeed later (the login is fine). */
  readonly retryable: boolean
  /** How long the authorization server asked to wait (`Retry-After`), in milliseconds. */
  readonly retryAfterMs: number | undefined

  constructor(error: WireError) {
    super(error.code, error.message)
    this.remoteName = error.name
    this.status = error.status
    this.retryable = error.retryable ?? false
    this.retryAfterMs = error.retryAfterMs
  }
}

function rebuild(error: WireError): OAuthError {
  if (error.name === 'TokenStorageError') return new TokenStorageError(error.code, error.message)
  if (error.name === 'OAuthFlowError') return new OAuthFlowError(error.code, error.message)
  return new TokenSessionError(error)
}

/**
 * A Durable Object holding one login: its tokens live in the object's storage, and every
 * request for an access token, from any number of worker invocations anywhere, is answered
 * by this one object. Its token manager refreshes once per expiry however many requests
 * arrive together (single flight, under the store's lock), and the refresh token never
 * leaves the object. Extend it and say how to make the manager; bind it as a Durable Object
 * class, and reach it from workers through {@link TokenSession}.
 *
 * @example
 * ```ts
 * import type { TokenStore } from '@oauth/core'
 * import { TokenManager } from '@oauth/http'
 * import { TokenSessionObject } from '@oauth/storage-durable-object'
 * export class OAuthSession extends TokenSessionObject<{ OAUTH_CLIENT_ID: string; OAUTH_TOKEN_URL: string }> {
 *   createManager(store: TokenStore, env: { OAUTH_CLIENT_ID: string; OAUTH_TOKEN_URL: string }) {
 *     const oauthConfig = { clientId: env.OAUTH_CLIENT_ID, authorizeUrl: 'https://id.example.com/authorize', tokenUrl: env.OAUTH_TOKEN_URL, redirectUri: 'https://app.example/callback' }
 *     return new TokenManager({ tokenStorage: store, oauthConfig })
 *   }
 * }
 * ```
 */
export abstract class TokenSessionObject<Env = unknown> {
  /** The login's tokens, in this object's storage. */
  protected readonly store: DurableObjectTokenStore
  readonly #manager: SessionTokenManager

  constructor(state: { storage: DurableObjectStorageLike }, env: Env) {
    this.store = new DurableObjectTokenStore(state.storage)
    this.#manager = this.createManager(this.store, env)
  }

  /** The token manager for this login, on `store`: `new TokenManager({ tokenStorage: store, oauthConfig })`. */
  protected abstract createManager(store: TokenStore, env: Env): SessionTokenManager

  async fetch(request: Request): Promise<Response> {
    const route = `${request.method} ${new URL(request.url).pathname}`
    try {
      if (route === 'POST /access-token') {
        const body = (await request.json()) as { refresh?: boolean; failedAccessToken?: string }
        const tokens = body.refresh ? await this.#manager.refresh({ failedAccessToken: body.failedAccessToken }) : await this.#manager.getTokens()
        return Response.json({ accessToken: tokens.accessToken, expiresAt: tokens.expiresAt } satisfies SessionAccessToken)
      }
      if (route === 'PUT /tokens') {
        await this.#manager.setTokens((await request.json()) as OAuthTokens)
        return new Response(null, { status: 204 })
      }
      if (route === 'DELETE /tokens') {
        const { removed, revoked, revocationError } = await this.#manager.logout()
        return Response.json({ removed, revoked, revocationError: revocationError?.message })
      }
      if (route === 'GET /status') {
        const tokens = await this.store.load()
        return Response.json({ loggedIn: tokens !== null, expiresAt: tokens?.expiresAt ?? null })
      }
      return Response.json({ error: { name: 'Error', code: 'NOT_FOUND', message: `No route ${route}` } }, { status: 404 })
    } catch (err) {
      return errorResponse(err)
    }
  }
}

/**
 * A worker's handle on one login kept in a {@link TokenSessionObject}: it asks the object for
 * access tokens and never sees a refresh token. It has the shape `createOAuthFetch` takes, so
 * API calls refresh at the edge: `createOAuthFetch(new TokenSession(env.SESSIONS.get(id)))`.
 * Errors from the object keep their `code` and message (`OAUTH_NOT_LOGGED_IN`, `OAUTH_INVALID_GRANT`, …):
 * `OAuthFlowError` and `TokenStorageError` as such, a failed refresh as {@link TokenSessionError}
 * (with `retryable` and `retryAfterMs`), and an object that cannot be reached as `TOKEN_STORE_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * import { TokenSession } from '@oauth/storage-durable-object'
 * declare const stub: { fetch(input: string, init?: RequestInit): Promise<Response> }
 * const session = new TokenSession(stub)
 * const accessToken = await session.getAccessToken()
 * ```
 */
export class TokenSession {
  readonly #stub: DurableObjectStubLike

  constructor(stub: DurableObjectStubLike) {
    this.#stub = stub
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response
    let data: T & { error?: WireError }
    try {
      res = await this.#stub.fetch(`${BASE}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
      if (res.status === 204) return undefined as T
      data = (await res.json()) as T & { error?: WireError }
    } catch (err) {
      // The object was unreachable, reset (a deploy), overloaded, or answered something that is not its protocol.
      throw new TokenStorageError(TOKEN_STORE_UNAVAILABLE, `The session object could not be asked (${method} ${path}): ${err instanceof Error ? err.message : String(err)}. The login in it is untouched; try again.`, { cause: err })
    }
    if (data?.error) throw rebuild(data.error)
    if (!res.ok) throw new TokenStorageError(TOKEN_STORE_UNAVAILABLE, `The session object answered HTTP ${res.status} to ${method} ${path}, without an error it could name. The login in it is untouched; try again.`)
    return data
  }

  /** A valid access token, refreshed by the object first when it is expiring. */
  async getAccessToken(): Promise<string> {
    return (await this.#call<SessionAccessToken>('POST', '/access-token', {})).accessToken
  }

  /** After the API refused `failedAccessToken` (a 401): the object refreshes it once, or returns the token that already replaced it. */
  refresh(options: { failedAccessToken?: string } = {}): Promise<SessionAccessToken> {
    return this.#call<SessionAccessToken>('POST', '/access-token', { refresh: true, failedAccessToken: options.failedAccessToken })
  }

  /** Hands a new login (from the code exchange) to the object, which saves it; keep no copy. */
  login(tokens: OAuthTokens): Promise<void> {
    return this.#call('PUT', '/tokens', tokens)
  }

  /** Removes the login from the object, and revokes it at the server if the manager's config has a revocation endpoint. */
  logout(): Promise<{ removed: boolean; revoked: boolean; revocationError?: string }> {
    return this.#call('DELETE', '/tokens')
  }

  /** Whether the object holds a login, and when its access token ends (epoch ms). */
  status(): Promise<{ loggedIn: boolean; expiresAt: number | null }> {
    return this.#call('GET', '/status')
  }
}
