/** The part of Node's `AsyncLocalStorage` a mutex needs to tell a re-entrant call (core imports no Node module). */
export interface AsyncContextLike {
  getStore(): unknown
  run<R>(store: unknown, fn: () => R): R
}

/** Options for {@link createMutex}. */
export interface MutexOptions {
  /**
   * An `AsyncLocalStorage`: with it, a call made from inside a function the mutex is running
   * (which would wait for itself forever) is rejected at once with `reenteredError()`. One
   * storage can serve every mutex of a module: each knows itself in it. Share one: on Node 20
   * each live `AsyncLocalStorage` costs every promise of the process some work, and a service
   * holding thousands of stores with one each spent most of its time there.
   */
  context?: AsyncContextLike
  reenteredError?: () => Error
}

/** A bound on one caller's wait: past `timeoutMs` it is rejected with `error()`, and its function never runs. */
export interface MutexWait {
  timeoutMs: number
  error: () => Error
}

/** Runs one function at a time; see {@link createMutex}. */
export type Mutex = <T>(fn: () => Promise<T>, wait?: MutexWait) => Promise<T>

/**
 * Runs the functions given to it one at a time, in the order they came, whether they
 * succeed or fail. Stores use it so that holders in one process queue in memory
 * instead of polling a file or a server against each other. A wait can be bounded
 * (`wait`), and a re-entrant call detected (`context`), so that no caller hangs.
 *
 * @example
 * ```ts
 * import { createMutex } from '@oauth/core'
 * const exclusive = createMutex()
 * await Promise.all([exclusive(async () => 1), exclusive(async () => 2)]) // never overlap
 * await exclusive(async () => 3, { timeoutMs: 5_000, error: () => new Error('busy') }) // waits 5 s at most
 * ```
 */
export function createMutex(options: MutexOptions = {}): Mutex {
  const { context } = options
  const me = {}
  let tail: Promise<unknown> = Promise.resolve()
  return <T>(fn: () => Promise<T>, wait?: MutexWait): Promise<T> => {
    // The mutexes whose functions the caller is inside of.
    const inside = context?.getStore()
    const held = inside instanceof Set ? (inside as ReadonlySet<object>) : undefined
    if (held?.has(me)) {
      return Promise.reject(options.reenteredError?.() ?? new Error('This lock is already held by the caller: taking it again would wait forever.'))
    }
    return new Promise<T>((resolve, reject) => {
      let expired = false
      const timer =
        wait &&
        setTimeout(() => {
          expired = true
          reject(wait.error())
        }, wait.timeoutMs)
      const turn = async (): Promise<void> => {
        if (expired) return // its caller already gave up: the function never runs
        clearTimeout(timer)
        try {
          resolve(await (context ? context.run(new Set(held).add(me), fn) : fn()))
        } catch (err) {
          reject(err)
        }
      }
      const run = tail.then(turn, turn)
      tail = run
    })
  }
}

/**
 * Waits `ms` milliseconds; rejects with the signal's reason if it aborts first.
 *
 * @example
 * ```ts
 * import { sleep } from '@oauth/core'
 * await sleep(10)
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const abort = () => (clearTimeout(timer), reject(signal!.reason))
    // The listener goes when the wait ends: a long-lived signal collects none, however many waits.
    const timer = setTimeout(() => (signal?.removeEventListener('abort', abort), resolve()), ms)
    signal?.addEventListener('abort', abort, { once: true })
  })
}

/**
 * Calls `attempt` until it gives a value (anything but `undefined`), waiting between tries with
 * jittered exponential backoff (5 ms doubling to 100 ms). Once `deadline` (a
 * `performance.now()` time) has passed it throws `timeout()` instead of trying again. The
 * stores' lock loops: a file created exclusively, a Redis `SET NX`.
 *
 * @example
 * ```ts
 * import { pollUntil } from '@oauth/core'
 * let tries = 0
 * await pollUntil(async () => (++tries < 3 ? undefined : 'taken'), performance.now() + 1_000, () => new Error('busy'))
 * ```
 */
export async function pollUntil<T>(attempt: () => Promise<T | undefined>, deadline: number, timeout: () => Error): Promise<T> {
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const result = await attempt()
    if (result !== undefined) return result
    if (performance.now() > deadline) throw timeout()
    await sleep(delay + Math.random() * delay)
  }
}

/** What {@link createHoldings} gives: each owner's value in the caller's async context. */
export interface Holdings<T> {
  /** The value `owner` set for the code running now, if any. */
  get(owner: object): T | undefined
  /** Runs `fn` with `owner`'s value set to `value` (the others' kept). */
  run<R>(owner: object, value: T, fn: () => R): R
}

/**
 * A value per owner in one async context (an `AsyncLocalStorage`) shared by every owner: what
 * each store holds while its lock is held, without a storage per store (see
 * {@link MutexOptions.context} for why).
 *
 * @example
 * ```ts
 * import { createHoldings, type AsyncContextLike } from '@oauth/core'
 * declare const context: AsyncContextLike // on Node: `new AsyncLocalStorage()` from node:async_hooks
 * const held = createHoldings<{ token: string }>(context)
 * const owner = {}
 * held.run(owner, { token: 't' }, () => held.get(owner)) // { token: 't' }
 * ```
 */
export function createHoldings<T>(context: AsyncContextLike): Holdings<T> {
  const current = () => context.getStore() as ReadonlyMap<object, T> | undefined
  return {
    get: (owner) => current()?.get(owner),
    run: (owner, value, fn) => context.run(new Map(current()).set(owner, value), fn),
  }
}
