// The body of a worker process for the cross-process tests: it shares one login through
// `store` with its siblings, and for `durationMs` keeps calling the server's userinfo
// endpoint with a fresh token, as a real service would.
// It takes the manager and its fetch from the caller, so that test-utils does not depend on
// @oauth/http (which depends on test-utils for its own tests).

export interface RefresherReport {
  calls: number
  failures: { status?: number; error?: string }[]
  tokens: string[]
  refreshes: number
}

export interface RefresherManager {
  getAccessToken(): Promise<string>
  /** Resolves when no refresh is in flight, its result saved. */
  settle(): Promise<void>
  /** The tokens in memory now, without loading or refreshing. */
  readonly oauthTokens: { accessToken: string } | null
  readonly refreshCount: number
}

export async function runRefresher(manager: RefresherManager, api: typeof fetch, userinfoUrl: string, durationMs: number): Promise<RefresherReport> {
  const report: RefresherReport = { calls: 0, failures: [], tokens: [], refreshes: 0 }
  const seen = new Set<string>()
  const end = Date.now() + durationMs
  while (Date.now() < end) {
    try {
      seen.add(await manager.getAccessToken())
      const res = await api(userinfoUrl)
      report.calls++
      if (res.status !== 200) report.failures.push({ status: res.status })
      await res.body?.cancel()
    } catch (err) {
      report.failures.push({ error: `${(err as { code?: string }).code}: ${(err as Error).message}` })
    }
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150))
  }
  // A background refresh may still be in flight when the time is up: let it finish, and count
  // its token as this process's, so the closing counts hold whenever the run stops.
  await manager.settle()
  if (manager.oauthTokens) seen.add(manager.oauthTokens.accessToken)
  report.tokens = [...seen]
  report.refreshes = manager.refreshCount
  return report
}
