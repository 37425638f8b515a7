import { OAuthError, OAuthFlowError, TokenStorageError, type OAuthTokens, type TokenStore } from '@oauth/core'
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

function errorResponse(err: unknown): Response {
  const known = err instanceof OAuthError
  const error = { name: known ? err.name : 'Error', code: known ? err.code : 'ERROR', message: known ? err.message : 'The session object failed; see its logs.' }
  if (!known) console.error(err instanceof Error ? `${err.name}: ${err.message}` : 'session object error')
  return Response.json({ error }, { status: known ? 409 : 500 })
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
 *     const oauthConfig = { clientId: env.OAUTH_CLIENT_ID, authorizeUrl: '', tokenUrl: env.OAUTH_TOKEN_URL, redirectUri: '', scopes: '' }
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
      return Response.json({ error: { code: 'NOT_FOUND', message: `No route ${route}` } }, { status: 404 })
    } catch (err) {
      return errorResponse(err)
    }
  }
}

/**
 * A worker's handle on one login kept in a {@link TokenSessionObject}: it asks the object for
 * access tokens and never sees a refresh token. It has the shape `createOAuthFetch` takes, so
 * API calls refresh at the edge: `createOAuthFetch(new TokenSession(env.SESSIONS.get(id)))`.
 * Errors from the object keep their `code` and message (`OAUTH_NOT_LOGGED_IN`, `OAUTH_INVALID_GRANT`, …).
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
    const res = await this.#stub.fetch(`${BASE}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    if (res.status === 204) return undefined as T
    const data = (await res.json()) as T & { error?: { name: string; code: string; message: string } }
    if (data.error) throw data.error.name === 'TokenStorageError' ? new TokenStorageError(data.error.code, data.error.message) : new OAuthFlowError(data.error.code, data.error.message)
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
