// The verdict shared by the cross-process tests: workers sharing one login through a store,
// against a rotating OAuth server, made one refresh per expiry and lost nothing.
import { expect } from 'vitest'
import type { AuthorizationServer } from './authorization-server.js'
import type { RefresherReport } from './refresher.js'

export function expectOneRefreshPerExpiry(label: string, server: AuthorizationServer, reports: RefresherReport[], run: { processes: number; durationMs: number; elapsedMs: number; tokenTtlSeconds: number }): void {
  const elapsedS = run.elapsedMs / 1000
  const calls = reports.reduce((sum, r) => sum + r.calls, 0)
  const failures = reports.flatMap((r) => r.failures)
  const tokens = new Set(reports.flatMap((r) => r.tokens))
  // Each access token is treated as expiring 1 s early, so it serves tokenTtlSeconds - 1 seconds.
  const expiries = Math.ceil(elapsedS / (run.tokenTtlSeconds - 1))
  const errors = server.events.errors
  console.log(
    `${label}: ${run.processes} processes, ${elapsedS.toFixed(1)} s, ${calls} API calls, ${server.events.refreshGrants} refreshes ` +
      `(${expiries} expiries at most), ${tokens.size} distinct access tokens, ${failures.length} failures, server errors: ${errors.length}${errors.length ? ` (${[...new Set(errors)].join(', ')})` : ''}`,
  )
  expect(elapsedS).toBeGreaterThanOrEqual(run.durationMs / 1000)
  expect(failures).toEqual([])
  expect(errors).toEqual([]) // no invalid_grant, ever
  expect(server.events.revoked).toBe(0)
  expect(calls).toBeGreaterThan(run.processes * 100)
  // One refresh per expiry: never more refreshes than expiries, and every refresh was needed.
  expect(server.events.refreshGrants).toBeLessThanOrEqual(expiries)
  expect(server.events.refreshGrants).toBeGreaterThanOrEqual(Math.floor(elapsedS / run.tokenTtlSeconds))
  expect(reports.reduce((sum, r) => sum + r.refreshes, 0)).toBe(server.events.refreshGrants)
  // Every refreshed token was shared: the initial token plus one per refresh, nothing else.
  expect(tokens.size).toBe(server.events.refreshGrants + 1)
}

/**
 * Stops `server` at each of `at` (ms after the call) for `downMs`, and starts it again: a
 * database restarted under running workers, at moments that fall on refreshes in flight as
 * often as between them.
 */
export async function restartAt(server: { stop(): Promise<void>; start(): Promise<void> }, at: number[], downMs: number): Promise<void> {
  const started = Date.now()
  for (const moment of at) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + moment - Date.now())))
    await server.stop()
    await new Promise((resolve) => setTimeout(resolve, downMs))
    await server.start()
  }
}
