import { Anthropic, type ClientOptions, type Middleware } from '@anthropic-ai/sdk'
import {
  ANTHROPIC_ACCOUNT_PRESETS,
  ANTHROPIC_OAUTH_CONFIG,
  anthropicPresetFromEnv,
  DEFAULT_OAUTH_BETAS,
  DEFAULT_USER_AGENT,
  rejectPolicyRefusal,
  signRequest,
  type AnthropicExtras,
} from '@oauth/anthropic'
import { INSPECT, inspectSummary, ERR_INVALID_ARG_VALUE, invalidArgument, OAUTH_NOT_LOGGED_IN, OAuthFlowError, type OAuthConfig, type OAuthTokens, type ResolvedOAuthConfig, type TokenStore } from '@oauth/core'
import { TokenManager, type TokenRequestOptions } from '@oauth/http'
import { EnvTokenStore, loadTokensFromEnv, type Env } from '@oauth/storage-env'
import { Accounts, FileTokenStore, type AccountsOptions } from '@oauth/storage-file'
import { authorizeInteractive, type AuthorizeInteractiveOptions } from './interactive.js'
import { proxyFetch } from './proxy.js'

/** Options for {@link AnthropicOAuth}: the SDK client's options (but no other credential) plus the OAuth ones. */
export interface AnthropicOAuthOptions extends Omit<ClientOptions, 'apiKey' | 'authToken' | 'credentials' | 'config' | 'profile'> {
  /** Tokens to start with (after a login); otherwise they are loaded from `tokenStorage`. */
  oauthTokens?: OAuthTokens | null
  /** The OAuth server. Default: the Anthropic preset, with the environment's overrides (`anthropicPresetFromEnv`: `CLAUDE_CODE_OAUTH_CLIENT_ID`, `ANTHROPIC_OAUTH_TOKEN_URL`, …). */
  oauthConfig?: OAuthConfig
  /** Where tokens are loaded from and refreshed tokens saved to (a `TokenStorage`, Redis, …). */
  tokenStorage?: TokenStore
  /** `anthropic-beta` values sent on every request; `oauth-2025-04-20` is always added. Default `DEFAULT_OAUTH_BETAS`. */
  betas?: readonly string[]
  /** `User-Agent` for API requests. Default `DEFAULT_USER_AGENT`. */
  userAgent?: string
  /** Timeout and retry policy for refresh requests. */
  oauthRequestOptions?: TokenRequestOptions
  /** Share one token lifecycle between clients; built from the options above when omitted. */
  tokenManager?: TokenManager
}

/** The SDK's per-request auth state (private in its types; the same shape from 1.0.0 to 1.17.0). */
interface AuthFlags {
  usedTokenCache: boolean
  didRefreshFor401: boolean
}

function authFlags(client: Anthropic, options: object): AuthFlags {
  return (client as unknown as { _authFlags(options: object): AuthFlags })._authFlags(options)
}

const FOREIGN_CREDENTIALS = ['apiKey', 'authToken', 'config', 'profile'] as const

/** The subscription preset as the environment moves it (`anthropicPresetFromEnv`): the preset itself when nothing does. */
function presetFromEnv(): OAuthConfig {
  return anthropicPresetFromEnv(process.env).config
}

/**
 * The Anthropic SDK client, signed in with OAuth tokens from a Claude subscription.
 * Every request carries a fresh `Authorization: Bearer` token (refreshed and persisted
 * automatically, one refresh for any number of concurrent requests), the OAuth betas,
 * the configured `User-Agent` and `beta=true`; never `x-api-key`, whatever the environment
 * says. All resources work: `messages`, `messages.stream`, `beta.messages`, `models`, …
 *
 * @example
 * ```ts
 * import { AnthropicOAuth } from '@oauth/client'
 * const client = AnthropicOAuth.fromStorage() // ~/.anthropic/oauth_tokens.json, written by `anthropic-oauth login`
 * const message = await client.messages.create({
 *   model: 'claude-sonnet-4-5',
 *   max_tokens: 100,
 *   messages: [{ role: 'user', content: 'Hello!' }],
 * })
 * ```
 */
export class AnthropicOAuth extends Anthropic {
  readonly #manager: TokenManager
  readonly #extras: AnthropicExtras
  /** Per request (the SDK's options object, kept across its retries): the token sent, and whether the 401 refresh was spent. */
  readonly #attempts = new WeakMap<object, { token: string; refreshed: boolean }>()

  constructor(options: AnthropicOAuthOptions = {}) {
    const { oauthTokens, oauthConfig, tokenStorage, betas, userAgent, oauthRequestOptions, tokenManager, ...clientOptions } = options
    for (const name of FOREIGN_CREDENTIALS) {
      if ((clientOptions as Record<string, unknown>)[name] != null) {
        throw invalidArgument(ERR_INVALID_ARG_VALUE, `AnthropicOAuth signs in with OAuth tokens; \`${name}\` cannot be combined with it. Use the plain Anthropic client for API keys.`)
      }
    }
    // Token requests and API calls go through the environment's proxy (HTTPS_PROXY, NO_PROXY), as curl's do.
    const viaProxy = proxyFetch()
    const manager = tokenManager ?? new TokenManager({ oauthTokens, tokenStorage, oauthConfig: oauthConfig ?? presetFromEnv(), oauthRequestOptions: { fetch: viaProxy, ...oauthRequestOptions } })

    const resolvedBetas = betas ?? DEFAULT_OAUTH_BETAS
    const resolvedUserAgent = userAgent ?? DEFAULT_USER_AGENT
    // Everything passed here is kept in _options, so withOptions() clones get the same
    // manager (one token lifecycle), betas and user agent.
    super({
      fetch: viaProxy,
      ...clientOptions,
      apiKey: null,
      authToken: null,
      // Only so the SDK keeps its 401 retry on (it needs a token cache); the token itself comes
      // from the manager in prepareRequest, and the SDK's cache is never asked (authHeaders).
      credentials: manager.provider,
      tokenManager: manager,
      betas: resolvedBetas,
      userAgent: resolvedUserAgent,
    } as ClientOptions)
    this.#manager = manager
    this.#extras = { betas: resolvedBetas, userAgent: resolvedUserAgent }
  }

  /**
   * A client from the environment (see `loadTokensFromEnv`): `ANTHROPIC_OAUTH_ACCESS_TOKEN`,
   * else `ANTHROPIC_ACCESS_TOKEN`, else `CLAUDE_CODE_OAUTH_TOKEN` (a long-lived token from
   * `claude setup-token`), with `ANTHROPIC_REFRESH_TOKEN` and `ANTHROPIC_TOKEN_EXPIRES_AT`.
   * Refreshed tokens stay in memory.
   */
  static fromEnv(options: AnthropicOAuthOptions & { env?: Env } = {}): AnthropicOAuth {
    const { env, ...rest } = options
    const store = new EnvTokenStore({ env })
    const tokens = loadTokensFromEnv(env)
    if (!tokens) {
      throw new OAuthFlowError(OAUTH_NOT_LOGGED_IN, 'No OAuth token in the environment: set ANTHROPIC_OAUTH_ACCESS_TOKEN (and ANTHROPIC_REFRESH_TOKEN), or log in with `anthropic-oauth login`.')
    }
    return new AnthropicOAuth({ ...rest, oauthTokens: tokens, tokenStorage: store })
  }

  /**
   * A client whose tokens live in a store: a file path, any `TokenStore`, or a named account
   * (`{ account: 'work' }`, as `anthropic-oauth login --account work` made it; see `Accounts`).
   * Without one, the login the CLI would use, in the same order (`Accounts.resolve`):
   * `ANTHROPIC_OAUTH_ACCOUNT`, else the default account (`anthropic-oauth accounts use`), else
   * `~/.anthropic/oauth_tokens.json`.
   * Tokens load on the first request; an empty store, or an account that does not exist,
   * then fails with `OAUTH_NOT_LOGGED_IN` (never another account's login). An account whose
   * login was made at another server than this client's `oauthConfig` (default the Anthropic
   * preset) fails with a `TypeError` (`ERR_INVALID_ARG_VALUE`) before its tokens are sent anywhere.
   *
   * @example
   * ```ts
   * import { AnthropicOAuth } from '@oauth/client'
   * const work = AnthropicOAuth.fromStorage({ account: 'work' })
   * ```
   */
  static fromStorage(from?: string | TokenStore | ({ account: string } & AccountsOptions), options: AnthropicOAuthOptions = {}): AnthropicOAuth {
    let store: TokenStore
    // The server the tokens will be sent to: an account made at another one is refused.
    const server = options.tokenManager?.oauthConfig ?? options.oauthConfig ?? ANTHROPIC_OAUTH_CONFIG
    if (from === undefined) {
      store = new Accounts({ presets: ANTHROPIC_ACCOUNT_PRESETS }).store(undefined, { server })
    } else if (typeof from === 'object' && from !== null && 'account' in from && typeof (from as Partial<TokenStore>).load !== 'function') {
      const { account, ...accountsOptions } = from
      store = new Accounts({ presets: ANTHROPIC_ACCOUNT_PRESETS, ...accountsOptions }).store(account, { server })
    } else {
      store = typeof from === 'object' && from !== null ? (from as TokenStore) : new FileTokenStore({ path: from })
    }
    return new AnthropicOAuth({ ...options, tokenStorage: store })
  }

  /**
   * Runs the browser login in a terminal and returns the tokens (see {@link authorizeInteractive}).
   * Save them with a store, or pass them as `oauthTokens`.
   */
  static authorizeInteractive(config?: OAuthConfig, options?: AuthorizeInteractiveOptions): Promise<OAuthTokens> {
    return authorizeInteractive(config, options)
  }

  /** The tokens held now (a copy), or `null` before the first request loaded them. */
  get oauthTokens(): OAuthTokens | null {
    return this.#manager.oauthTokens
  }

  get oauthConfig(): ResolvedOAuthConfig {
    return this.#manager.oauthConfig
  }

  /** The token manager this client (and its `withOptions` clones) share. */
  get tokenManager(): TokenManager {
    return this.#manager
  }

  /** A summary without secrets: the SDK's own token cache holds the bearer token in a plain field. */
  toJSON(): Record<string, unknown> {
    return { client: 'AnthropicOAuth', baseURL: this.baseURL, ...this.#manager.toJSON() }
  }

  readonly [INSPECT] = inspectSummary

  /**
   * The API's policy refusals of subscription tokens (400 "Third-party apps now draw from your
   * extra usage…", 401 "OAuth authentication is currently not supported", …) become
   * `OAuthPolicyError`s here, inside the SDK's retry loop: middleware errors are not retried,
   * so the SDK neither retries the request nor refreshes a token that is fine.
   */
  protected override backendMiddleware(): ReadonlyArray<Middleware> {
    const policy: Middleware = async (request, next) => rejectPolicyRefusal(await next(request))
    return [...super.backendMiddleware(), policy]
  }

  protected override defaultQuery(): Record<string, string | undefined> | undefined {
    return { ...super.defaultQuery(), beta: 'true' }
  }

  protected override _shouldResolveDefaultCredentials(): boolean {
    return false // never pick up a profile or an environment key behind the OAuth login
  }

  /**
   * The SDK asks for the credential here on every attempt (`buildRequest`, before the request is
   * sent, so a failure to get a token is thrown as it is, not as a connection error). The token
   * comes from the manager, the only cache: the SDK's `TokenCache` (built from `credentials`) is
   * never asked. On the SDK's retry after a 401 it is the token that replaced the one refused
   * (one refresh under the store's lock, however many requests were refused). The request is
   * marked as token-authenticated so the SDK's own reactive refresh fires: on a 401 it sets
   * `didRefreshFor401` and retries once (`shouldRetry`; `_authFlags` and `authHeaders` in
   * client.js of @anthropic-ai/sdk 1.0.0 and 1.17.0, read 2026-12-06).
   */
  protected override async authHeaders(options: object): Promise<undefined> {
    const flags = authFlags(this, options)
    const attempt = this.#attempts.get(options)
    if (flags.didRefreshFor401 && attempt && !attempt.refreshed) {
      attempt.refreshed = true
      attempt.token = (await this.#manager.refresh({ failedAccessToken: attempt.token })).accessToken
    } else {
      this.#attempts.set(options, { token: await this.#manager.getAccessToken(), refreshed: flags.didRefreshFor401 })
    }
    flags.usedTokenCache = true
    return undefined // the header is set in prepareRequest, after every other header source
  }

  /**
   * Signs the request with the attempt's token, in the one place `createOAuthFetch` uses too
   * (`signRequest`). The SDK's own `prepareRequest` is not called: for a client built with
   * `credentials`, all it does is append `oauth-2025-04-20` to `anthropic-beta` and copy the auth
   * state's `extraHeaders`, which are empty unless a profile config supplied them (client.js
   * `prepareRequest` and the constructor's `case 'credentials'`, @anthropic-ai/sdk 1.12.0), and
   * profile configs are refused here. `signRequest` sets the merged beta list itself. The SDK may
   * run this more than once per attempt (middleware calling `next()` again): it overwrites.
   */
  protected override async prepareRequest(request: RequestInit, { options }: { options: object }): Promise<void> {
    const token = this.#attempts.get(options)?.token
    if (token === undefined) throw new OAuthFlowError(OAUTH_NOT_LOGGED_IN, 'No token was chosen for this request.') // unreachable: authHeaders runs first
    // Usually already a Headers instance (the SDK normalises it); copy only when it is not.
    const headers = request.headers instanceof Headers ? request.headers : new Headers(request.headers)
    // Our bearer token always wins over an Authorization header from ANTHROPIC_CUSTOM_HEADERS,
    // defaultHeaders or the request: that header would be refused with a 401, which would then
    // spend a refresh for nothing.
    signRequest(headers, token, this.#extras)
    request.headers = headers
  }
}
