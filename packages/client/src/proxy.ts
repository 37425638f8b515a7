import type { Dispatcher, Pool } from 'undici'

// undici is loaded only when a proxy variable is set: importing it costs about 150 ms, which
// every program that imports @oauth/client paid at startup, proxy or not (#27).
type Undici = typeof import('undici')
let undici: Promise<Undici> | undefined
const loadUndici = (): Promise<Undici> => (undici ??= import('undici'))

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] as const

const cache = new Map<string, typeof fetch>()

/** The global fetch, looked up at each call (a test or an APM agent may replace it later). */
const globalFetch: typeof fetch = (input, init) => globalThis.fetch(input, init)

/**
 * The proxy's connection pool, with one change: a proxy that closes the connection while the
 * CONNECT tunnel is being opened fails the request. undici 7 (the newest that runs on Node 20)
 * passes that `UND_ERR_SOCKET` on as a recoverable error, and its client then reconnects in a
 * tight loop, about a thousand connections a second until the request's timeout
 * (nodejs/undici#3897, open since 2024-11-28). The fix, nodejs/undici#5441 (merged 2026-06-19),
 * wraps it in `UND_ERR_PRX_CONN`; it shipped in undici 8, which needs Node 22.19. This does the
 * same here, until Node 20 support ends and undici 8 can be used.
 */
function tunnelFailsOnce(PoolClass: Undici['Pool'], origin: URL, options: object): Pool {
  const pool = new PoolClass(origin, options)
  const connect = pool.connect.bind(pool) as (params: unknown) => Promise<unknown>
  ;(pool as { connect: unknown }).connect = async (params: unknown) => {
    try {
      return await connect(params)
    } catch (err) {
      if ((err as { code?: string })?.code !== 'UND_ERR_SOCKET') throw err
      throw Object.assign(new Error(`The proxy ${origin.origin} closed the connection while opening the tunnel (CONNECT); nothing was sent through it.`, { cause: err }), {
        code: 'UND_ERR_PRX_CONN',
      })
    }
  }
  return pool
}

/**
 * A `fetch` for Node that goes through the proxy the environment names, as curl and most
 * command-line tools do: `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for http ones (either case),
 * skipping the hosts in `NO_PROXY`. It is undici's `EnvHttpProxyAgent`: Node's own fetch ignores
 * these variables (before Node 24's `NODE_USE_ENV_PROXY`). With none of them set it calls the
 * global `fetch`. A corporate CA needs nothing here: Node reads
 * `NODE_EXTRA_CA_CERTS` (a PEM file) when it starts, for this fetch and the global one alike.
 *
 * `AnthropicOAuth`, `authorizeInteractive` and the CLI use it by default, for token requests and
 * API calls; pass it as `oauthRequestOptions.fetch` to a `TokenManager` of your own.
 *
 * @example
 * ```ts
 * import { proxyFetch, TokenManager } from '@oauth/client'
 * // HTTPS_PROXY=http://proxy.corp:3128 NO_PROXY=localhost,.corp node app.js
 * const manager = new TokenManager({ tokenStorage, oauthRequestOptions: { fetch: proxyFetch() } })
 * ```
 */
export function proxyFetch(env: NodeJS.ProcessEnv = process.env): typeof fetch {
  const pick = (upper: string) => env[upper] || env[upper.toLowerCase()] || undefined
  const httpsProxy = pick('HTTPS_PROXY')
  const httpProxy = pick('HTTP_PROXY')
  if (!PROXY_VARS.some((name) => env[name])) return globalFetch
  const noProxy = pick('NO_PROXY')
  const key = `${httpProxy} ${httpsProxy} ${noProxy}`
  let cached = cache.get(key)
  if (!cached) {
    // Explicit values, so that the env passed in (not only process.env) decides.
    let agent: Dispatcher | undefined
    cached = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const { EnvHttpProxyAgent, Pool, fetch: undiciFetch } = await loadUndici()
      agent ??= new EnvHttpProxyAgent({
        httpProxy: httpProxy ?? '',
        httpsProxy: httpsProxy ?? httpProxy ?? '',
        noProxy: noProxy ?? '',
        clientFactory: (origin: URL, options: object) => tunnelFailsOnce(Pool, origin, options),
      } as never)
      return undiciFetch(input as never, { ...(init as object), dispatcher: agent } as never)
    }) as unknown as typeof fetch
    cache.set(key, cached)
  }
  return cached
}
