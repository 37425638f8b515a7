import { parseArgs } from 'node:util'
import { isExpired, OAuthError, type OAuthConfig, type OAuthTokens, type TokenStore } from '@oauth/core'
import type { AnthropicProfile, AnthropicUsage } from '@oauth/anthropic'
import { EXIT, inWords, jsonOut, shown, usageBar, withSpinner, type CliIO } from '../io.js'
import { apiBaseUrl, isAnthropic, loginFrom, requestOptions, STORE_HELP, STORE_OPTIONS } from '../options.js'

export const STATUS_HELP = `Usage: anthropic-oauth status [options]

Shows who is logged in, the scopes, when the access token expires, and where the
login is stored. For an Anthropic login it also shows the account's email and
organization, the plan, and how much of each usage window (5-hour, 7-day, and
the model-specific ones) is spent, with when it resets: it asks the API host
(ANTHROPIC_BASE_URL, default https://api.anthropic.com), renewing the access
token first if it has expired. Never prints a token. Exit code 3 when not
logged in, or when the login has expired and cannot be renewed.

Options:
  --json         machine-readable output
  --offline      only what is stored: no plan, no usage, nothing sent
${STORE_HELP}`

interface Live {
  /** The tokens after a renewal, when one was needed. */
  renewed: OAuthTokens | null
  profile: AnthropicProfile | null
  usage: AnthropicUsage | null
  /** Why the plan or the usage is missing, in words, when one is. */
  unavailable: { code: string; message: string } | null
}

const explain = (err: unknown): { code: string; message: string } => ({
  code: err instanceof OAuthError ? err.code : 'ERROR',
  message: err instanceof Error ? err.message : String(err),
})

/** The plan and the usage windows, from the account endpoints, with a token renewed if need be. */
async function fetchLive(store: TokenStore, tokens: OAuthTokens, config: OAuthConfig, io: CliIO): Promise<Live> {
  const [http, anthropic] = await Promise.all([import('@oauth/http'), import('@oauth/anthropic')])
  const request = await requestOptions(io.env)
  return withSpinner(io, 'Fetching the plan and usage', async () => {
    let accessToken = tokens.accessToken
    let renewed: OAuthTokens | null = null
    try {
      if (isExpired(tokens, Date.now(), 0)) {
        const manager = new http.TokenManager({ tokenStorage: store, oauthConfig: config, oauthRequestOptions: request })
        accessToken = await manager.getAccessToken()
        renewed = manager.oauthTokens
      }
    } catch (err) {
      return { renewed, profile: null, usage: null, unavailable: explain(err) }
    }
    const options = { baseUrl: apiBaseUrl(io.env), ...request }
    const [profile, usage] = await Promise.allSettled([anthropic.fetchAnthropicProfile(accessToken, options), anthropic.fetchAnthropicUsage(accessToken, options)])
    const failed = [profile, usage].find((r): r is PromiseRejectedResult => r.status === 'rejected')
    return {
      renewed,
      profile: profile.status === 'fulfilled' ? profile.value : null,
      usage: usage.status === 'fulfilled' ? usage.value : null,
      unavailable: failed ? explain(failed.reason) : null,
    }
  })
}

const capitalised = (s: string) => s[0]!.toUpperCase() + s.slice(1)

export async function status(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, options: { ...STORE_OPTIONS, json: { type: 'boolean' }, offline: { type: 'boolean' } }, strict: true })
  if (values.help) return io.stdout.write(`${STATUS_HELP}\n`), EXIT.OK
  const { store, account, config, preset, overrides } = await loginFrom(values, io.env, { offline: values.offline })
  const tokens = await store.load()
  const renewable = tokens ? !isExpired(tokens, Date.now(), 0) || Boolean(tokens.refreshToken) : false
  const live = tokens && renewable && !values.offline && (preset || isAnthropic(config)) ? await fetchLive(store, tokens, config, io) : null
  // After a renewal above, show the new tokens.
  const current = live?.renewed ?? tokens
  const now = Date.now()
  const profile = live?.profile
  const info = {
    loggedIn: tokens !== null,
    accountName: account?.name ?? null,
    store: store.name,
    account: profile?.email ?? current?.account?.emailAddress ?? null,
    organization: profile?.organization?.name ?? current?.organization?.name ?? null,
    plan: profile ? { subscription: profile.subscription, organizationType: profile.organization?.type ?? null, rateLimitTier: profile.organization?.rateLimitTier ?? null } : null,
    usage: live?.usage ?? null,
    usageUnavailable: live?.unavailable ?? null,
    scopes: current?.scope ? current.scope.split(' ') : [],
    expiresAt: current?.expiresAt ? new Date(current.expiresAt).toISOString() : null,
    expired: current ? isExpired(current, now, 0) : null,
    refreshable: current ? Boolean(current.refreshToken) : null,
    daysLeft: current?.expiresAt ? Math.max(0, Math.floor((current.expiresAt - now) / 86_400_000)) : null,
    // The token endpoint answered 429: no refresh is sent before this (every process honours it).
    refreshPausedUntil: current?.refreshNotBefore && current.refreshNotBefore > now ? new Date(current.refreshNotBefore).toISOString() : null,
    // The preset's values the environment moved (CLAUDE_CODE_OAUTH_CLIENT_ID, ANTHROPIC_OAUTH_TOKEN_URL, …).
    overrides,
  }
  if (values.json) {
    io.stdout.write(jsonOut(info))
  } else if (!current) {
    io.stdout.write(`Not logged in (${store.name}). Run: anthropic-oauth login${account ? ` --account ${account.name}` : ''}\n`)
  } else {
    // A long-lived login (a year, never renewed) reads in days: "expires in 364 days".
    const expiry = current.expiresAt ? `${isExpired(current, now, 0) ? 'expired' : 'expires'} ${inWords(current.expiresAt - now)}` : 'no expiry given'
    const plan = info.plan && (info.plan.subscription ? capitalised(info.plan.subscription) : info.plan.organizationType ? `none (${info.plan.organizationType} organization)` : null)
    const lines = [
      `Logged in${info.account ? ` as ${info.account}` : ''}${account ? ` (account "${account.name}")` : ''}`,
      ...(info.organization ? [`Organization: ${info.organization}`] : []),
      ...(plan ? [`Plan:         ${plan}`] : []),
      `Scopes:       ${info.scopes.join(' ') || '(none given)'}`,
      `Access token: ${expiry}${current.refreshToken ? ', renewed automatically' : ', cannot be renewed (no refresh token)'}`,
      ...(info.refreshPausedUntil ? [`Renewal:      paused by the token endpoint (HTTP 429); next attempt ${inWords(current.refreshNotBefore! - now)}`] : []),
      `Store:        ${store.name}`,
      ...overrides.map((o, i) => `${i ? '              ' : 'Overrides:    '}${o.variable}=${o.value} (${o.field})`),
    ]
    if (info.usage?.windows.length) {
      const width = Math.max(...info.usage.windows.map((w) => w.label.length))
      lines.push('Usage:')
      for (const w of info.usage.windows) {
        const resets = w.resetsAt ? `  resets ${inWords(Date.parse(w.resetsAt) - now)}` : ''
        lines.push(`  ${w.label.padEnd(width)}  ${usageBar(w.utilization)}${resets}`)
      }
    } else if (info.usage) {
      lines.push('Usage:        no usage windows for this account (an API-billed organization has none)')
    }
    if (info.usageUnavailable) lines.push(`${info.plan ? 'Usage' : 'Plan and usage'} not available: ${info.usageUnavailable.message}`)
    // Every field may have come from the network (token response, profile, usage): nothing a terminal obeys gets through.
    io.stdout.write(`${lines.map(shown).join('\n')}\n`)
  }
  // Expired with nothing to renew it: as good as logged out (README: exit code 3).
  return tokens && renewable ? EXIT.OK : EXIT.NOT_LOGGED_IN
}
