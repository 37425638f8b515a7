import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici'

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] as const

const cache = new Map<string, typeof fetch>()

/** The global fetch, looked up at each call (a test or an APM agent may replace it later). */
const globalFetch: typeof fetch = (input, init) => globalThis.fetch(input, init)

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
    const agent = new EnvHttpProxyAgent({ httpProxy: httpProxy ?? '', httpsProxy: httpsProxy ?? httpProxy ?? '', noProxy: noProxy ?? '' })
    cached = ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
      undiciFetch(input as never, { ...(init as object), dispatcher: agent } as never)) as unknown as typeof fetch
    cache.set(key, cached)
  }
  return cached
}
