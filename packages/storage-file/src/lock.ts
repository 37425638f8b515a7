import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import {
  createMutex,
  pollUntil,
  sleep,
  TOKEN_STORE_LOCK_LOST,
  TOKEN_STORE_LOCK_REENTERED,
  TOKEN_STORE_LOCK_TIMEOUT,
  TOKEN_STORE_UNAVAILABLE,
  TokenStorageError,
  type LockLease,
  type Mutex,
} from '@oauth/core'
import { errno, isReadOnly } from './errno.js'

// One async context for every lock path's mutex (see createMutex's `context`).
const MUTEX_CONTEXT = new AsyncLocalStorage()

export interface FileLockOptions {
  /** A lock held from another host whose holder stopped refreshing it this long ago is abandoned. */
  staleMs: number
  /** Waiting longer than this for the lock, in this process and then for other processes, is TOKEN_STORE_LOCK_TIMEOUT. */
  timeoutMs: number
}

interface Holder {
  token: string
  pid: number
  host: string
  /** The holder's start time (Linux `/proc/<pid>/stat` field 22): a reused pid is not taken for the holder. */
  started?: string
}


/**
 * What this process last saw of each file it judges by its heartbeat (a lock or a breaker held
 * from another host): the file's state, and when (this process's monotonic clock) it was first
 * seen so. Another host's clock is never compared with ours: a holder whose clock runs behind
 * writes old mtimes, one whose clock runs ahead writes future ones; only a change tells.
 */
const observed = new Map<string, { state: string; since: number }>()

/** How long (ms, by this process's clock) `path` has been seen in `state`; 0 when it just changed. */
function unchangedFor(path: string, state: string): number {
  const now = performance.now()
  const seen = observed.get(path)
  if (seen?.state === state) return now - seen.since
  observed.set(path, { state, since: now })
  return 0
}

/** Holders in this process queue here, per lock file, so they do not poll the file system against each other. */
const local = new Map<string, Mutex>()

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may hold spaces: field 22 is the 20th.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined // not Linux
  }
}

const self: Omit<Holder, 'token'> = { pid: process.pid, host: hostname(), started: startTime(process.pid) }

function lost(lockPath: string): TokenStorageError {
  return new TokenStorageError(
    TOKEN_STORE_LOCK_LOST,
    `The lock ${lockPath} was taken over by another holder while this one held it (it was judged abandoned from another host); this holder's work was stopped and nothing was saved.`,
  )
}

/**
 * Runs `fn` while holding `lockPath`, a file created with O_EXCL. A holder on this host is
 * judged by its process alone: while it lives its lock is never broken, however long it is
 * paused (a laptop lid, SIGSTOP, a debugger) and whatever the clock does; once it dies the
 * lock is taken over at once. A holder on another host refreshes the file's mtime (a
 * heartbeat) and is judged abandoned `staleMs` after its last one. On a file system nobody
 * may write (a read-only mount) there is nothing to exclude: `fn` runs under the in-process
 * lock alone, with `readOnly` set.
 */
export function withFileLock<T>(lockPath: string, options: FileLockOptions, fn: (lease: LockLease & { readOnly: boolean }) => Promise<T>): Promise<T> {
  let exclusive = local.get(lockPath)
  if (!exclusive) {
    const reentered = () =>
      new TokenStorageError(
        TOKEN_STORE_LOCK_REENTERED,
        `The lock ${lockPath} was taken again from inside the section it guards, which would wait for itself forever. Inside lock(), use the store's load and save directly.`,
      )
    local.set(lockPath, (exclusive = createMutex({ context: MUTEX_CONTEXT, reenteredError: reentered })))
  }
  const deadline = performance.now() + options.timeoutMs
  const timeout = () =>
    new TokenStorageError(
      TOKEN_STORE_LOCK_TIMEOUT,
      `Waited ${options.timeoutMs} ms for the lock ${lockPath}, held by a live process. If no other process uses this store, remove the lock file.`,
    )
  return exclusive(() => holdFileLock(lockPath, options, deadline, timeout, fn), { timeoutMs: options.timeoutMs, error: timeout })
}

async function holdFileLock<T>(
  lockPath: string,
  options: FileLockOptions,
  deadline: number,
  timeout: () => Error,
  fn: (lease: LockLease & { readOnly: boolean }) => Promise<T>,
): Promise<T> {
  const token = await acquire(lockPath, options, deadline, timeout)
  const controller = new AbortController()
  const confirm = async (): Promise<void> => {
    if (controller.signal.aborted) throw lost(lockPath)
    if (token !== null && (await readHolder(lockPath))?.token !== token) {
      controller.abort(lost(lockPath))
      throw lost(lockPath)
    }
  }
  const heartbeat =
    token === null
      ? undefined
      : setInterval(() => {
          // Still ours: show another host it is alive. No longer ours: abort the holder's work.
          confirm()
            .then(() => utimes(lockPath, new Date(), new Date()))
            .catch(() => undefined)
        }, Math.max(50, options.staleMs / 3))
  heartbeat?.unref()
  try {
    return await fn({ signal: controller.signal, confirm, readOnly: token === null })
  } finally {
    clearInterval(heartbeat)
    if (token !== null) await release(lockPath, token)
  }
}

/** Takes the lock file; `null` when the file system cannot be written at all. */
async function acquire(lockPath: string, options: FileLockOptions, deadline: number, timeout: () => Error): Promise<string | null> {
  const holder: Holder = { token: randomBytes(16).toString('hex'), ...self }
  return pollUntil(
    async () => {
      try {
        await writeFile(lockPath, JSON.stringify(holder), { flag: 'wx', mode: 0o600 })
        return holder.token
      } catch (err) {
        if (isReadOnly(err)) return null
        if (errno(err) !== 'EEXIST') {
          throw new TokenStorageError(TOKEN_STORE_UNAVAILABLE, `Cannot create the lock file ${lockPath} (${errno(err) ?? err}). Check that its directory exists and is writable.`, { cause: err })
        }
      }
      if (await isAbandoned(lockPath, options.staleMs)) await breakAbandoned(lockPath, options.staleMs)
      return undefined // held, or just broken: try again
    },
    deadline,
    timeout,
  )
}

async function readHolder(lockPath: string): Promise<Holder | null> {
  try {
    const parsed = JSON.parse(await readFile(lockPath, 'utf8')) as Holder
    return typeof parsed.token === 'string' ? parsed : null
  } catch {
    return null // gone, or a holder killed between creating and writing it
  }
}

function isAlive(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0)
  } catch (err) {
    if (errno(err) !== 'EPERM') return false
  }
  // The pid lives; it is the holder's unless it was reused by a process started since.
  const started = holder.started === undefined ? undefined : startTime(holder.pid)
  return started === undefined || started === holder.started
}

async function isAbandoned(lockPath: string, staleMs: number): Promise<boolean> {
  let mtimeMs: number
  try {
    mtimeMs = (await stat(lockPath)).mtimeMs
  } catch {
    return false // released meanwhile: just try again
  }
  const holder = await readHolder(lockPath)
  // On this host the process tells: age never breaks a live holder's lock (a pause, a clock jump).
  if (holder && holder.host === self.host) return !isAlive(holder)
  // Another host, or a lock file torn by a holder killed while writing it: the heartbeat tells,
  // as a change seen here, never as an mtime compared with this host's clock.
  return unchangedFor(lockPath, `${mtimeMs} ${holder?.token ?? ''}`) > staleMs
}

/**
 * Removes an abandoned lock. Two waiters could both judge it abandoned, and the slower
 * one would then delete the lock the faster one just took; so breaking happens under a
 * second lock, and the verdict is checked again once that is held.
 */
async function breakAbandoned(lockPath: string, staleMs: number): Promise<void> {
  const breaker = `${lockPath}.break`
  try {
    await writeFile(breaker, String(process.pid), { flag: 'wx', mode: 0o600 })
  } catch {
    // Someone else is breaking it. A breaker left by a process that died mid-break goes stale too.
    const age = await stat(breaker).then((s) => unchangedFor(breaker, `${s.mtimeMs} ${s.ino}`), () => 0)
    if (age > staleMs) await unlink(breaker).catch(() => undefined)
    await sleep(5)
    return
  }
  try {
    if (await isAbandoned(lockPath, staleMs)) await unlink(lockPath).catch(() => undefined)
  } finally {
    await unlink(breaker).catch(() => undefined)
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  observed.delete(lockPath)
  // Only our own lock: if ours was judged abandoned and taken over, the new holder's stays.
  if ((await readHolder(lockPath))?.token === token) await unlink(lockPath).catch(() => undefined)
}
