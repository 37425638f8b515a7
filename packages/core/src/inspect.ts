/** Node's `util.inspect` hook, as a global symbol: core imports nothing from Node. */
export const INSPECT: unique symbol = /* @__PURE__ */ Symbol.for('nodejs.util.inspect.custom') as never

/**
 * What `console.log` and `util.inspect` show of an object that holds secrets: its class and
 * its `toJSON()` summary, never its fields. Every class here that holds a token, a store or a
 * client uses it as its `[INSPECT]` method, so none can print more than its summary.
 *
 * @example
 * ```ts
 * import { INSPECT, inspectSummary } from '@oauth/core'
 * class Session {
 *   #token = 'secret'
 *   toJSON() { return { loggedIn: this.#token !== '' } }
 *   [INSPECT] = inspectSummary
 * }
 * ```
 */
export function inspectSummary(this: { toJSON(): Record<string, unknown> }): string {
  return `${this.constructor.name} ${JSON.stringify(this.toJSON())}`
}
