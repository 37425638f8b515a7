/**
 * Runs the functions given to it one at a time, in the order they came, whether they
 * succeed or fail. Stores use it so that holders in one process queue in memory
 * instead of polling a file or a server against each other.
 *
 * @example
 * ```ts
 * import { createMutex } from '@oauth/core'
 * const exclusive = createMutex()
 * await Promise.all([exclusive(async () => 1), exclusive(async () => 2)]) // never overlap
 * ```
 */
export function createMutex(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve()
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn)
    tail = run.catch(() => undefined)
    return run
  }
}
