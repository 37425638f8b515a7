import { randomBytes } from 'node:crypto'
import { readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { createMutex, TOKEN_STORE_LOCK_TIMEOUT, TOKEN_STORE_UNAVAILABLE, TokenStorageError } from '@oauth/core'

export interface FileLockOptions {
  /** A lock whose holder stopped refreshing it this long ago is abandoned. */
  staleMs: number
  /** Waiting longer than this for the lock is TOKEN_STORE_LOCK_TIMEOUT. */
  timeoutMs: number
}

interface Holder {
  token: string
  pid: number
  host: string
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const errno = (err: unknown) => (err as NodeJS.ErrnoException)?.code

/** Holders in this process queue here, so they do not poll the file system against each other. */
const local = new Map<string, ReturnType<typeof createMutex>>()

/**
 * Runs `fn` while holding `lockPath`, a file created with O_EXCL. The holder refreshes its
 * mtime (a heartbeat), so a live holder never looks abandoned; a holder that died is
 * detected at once on the same host (its pid is gone) and after `staleMs` elsewhere.
 */
export function withFileLock<T>(lockPath: string, options: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  let exclusive = local.get(lockPath)
  if (!exclusive) local.set(lockPath, (exclusive = createMutex()))
  return exclusive(() => holdFileLock(lockPath, options, fn))
}

async function holdFileLock<T>(lockPath: string, options: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  const token = await acquire(lockPath, options)
  const heartbeat = setInterval(() => {
    const now = new Date()
    utimes(lockPath, now, now).catch(() => undefined)
  }, Math.max(50, options.staleMs / 3))
  heartbeat.unref()
  try {
    return await fn()
  } finally {
    clearInterval(heartbeat)
    await release(lockPath, token)
  }
}

async function acquire(lockPath: string, options: FileLockOptions): Promise<string> {
  const holder: Holder = { token: randomBytes(16).toString('hex'), pid: process.pid, host: hostname() }
  const deadline = Date.now() + options.timeoutMs
  let delay = 5
  for (;;) {
    try {
      await writeFile(lockPath, JSON.stringify(holder), { flag: 'wx', mode: 0o600 })
      return holder.token
    } catch (err) {
      if (errno(err) !== 'EEXIST') {
        throw new TokenStorageError(TOKEN_STORE_UNAVAILABLE, `Cannot create the lock file ${lockPath} (${errno(err) ?? err}). Check that its directory exists and is writable.`, { cause: err })
      }
    }
    if (await isAbandoned(lockPath, options.staleMs)) {
      await breakAbandoned(lockPath, options.staleMs)
      continue
    }
    if (Date.now() > deadline) {
      throw new TokenStorageError(
        TOKEN_STORE_LOCK_TIMEOUT,
        `Waited ${options.timeoutMs} ms for the lock ${lockPath}, held by a live process. If no other process uses this store, remove the lock file.`,
      )
    }
    await sleep(delay + Math.random() * delay)
    delay = Math.min(delay * 2, 100)
  }
}

async function readHolder(lockPath: string): Promise<Holder | null> {
  try {
    const parsed = JSON.parse(await readFile(lockPath, 'utf8')) as Holder
    return typeof parsed.token === 'string' ? parsed : null
  } catch {
    return null // gone, or a holder killed between creating and writing it
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return errno(err) === 'EPERM'
  }
}

async function isAbandoned(lockPath: string, staleMs: number): Promise<boolean> {
  let mtimeMs: number
  try {
    mtimeMs = (await stat(lockPath)).mtimeMs
  } catch {
    return false // released meanwhile: just try again
  }
  const holder = await readHolder(lockPath)
  if (holder && holder.host === hostname() && !isAlive(holder.pid)) return true
  return Date.now() - mtimeMs > staleMs
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
    const age = await stat(breaker).then((s) => Date.now() - s.mtimeMs, () => 0)
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
  // Only our own lock: if ours was judged abandoned and taken over, the new holder's stays.
  if ((await readHolder(lockPath))?.token === token) await unlink(lockPath).catch(() => undefined)
}
