import { AsyncLocalStorage } from 'node:async_hooks'
import { watch, type FSWatcher } from 'node:fs'
import { chmod, readFile, stat, unlink } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import {
  createHoldings,
  assertOptions,
  INSPECT,
  inspectSummary,
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  invalidArgument,
  parseStoredTokens,
  serializeTokens,
  TOKEN_STORE_CORRUPT,
  TOKEN_STORE_READ_ONLY,
  TOKEN_STORE_UNREADABLE,
  TOKEN_STORE_WRITE_FAILED,
  TokenStorageError,
  type LockLease,
  type OAuthTokens,
  type StoreLockOptions,
  type TokenStore,
  type TokenStoreChange,
} from '@oauth/core'
import { ensureDirectory, readOnlyError, writeFileAtomic } from './atomic-write.js'
import { errno, isReadOnly } from './errno.js'
import { withFileLock } from './lock.js'

// One async context for every store of this module (see createMutex's `context`): the mutexes
// tell re-entry by it, and each store finds what its lock holder holds.
const MUTEX_CONTEXT = new AsyncLocalStorage()
const HELD = createHoldings<Held>(new AsyncLocalStorage())

/** Options for {@link FileTokenStore}. */
export interface FileTokenStoreOptions {
  /** The token file. Default `~/.anthropic/oauth_tokens.json` ({@link defaultTokenPath}). */
  path?: string
  /**
   * The lock processes take to refresh one at a time. `timeoutMs`: how long `lock()` waits
   * (default 30 s). `staleMs`: a lock held from another host whose holder stopped refreshing it
   * this long ago counts as abandoned (default 10 s); a holder on this host is never judged by
   * age: its lock is kept while its process lives and taken over as soon as it dies.
   */
  lock?: StoreLockOptions
}

const errorCodes = new Set([TOKEN_STORE_CORRUPT, TOKEN_STORE_UNREADABLE])

/** What one holder of the lock knows: its lease, and the file as this holder last read or wrote it. */
interface Held {
  lease: LockLease
  /** The file's fields as last read or written under this lock (`null`: no file), so a save does not read it again. */
  fields?: Readonly<Record<string, unknown>> | null
}

/** `~/.anthropic/oauth_tokens.json`, the path the Anthropic Python SDK's OAuth token storage uses too. */
export function defaultTokenPath(): string {
  return join(homedir(), '.anthropic', 'oauth_tokens.json')
}

function unreadable(path: string, err: unknown): TokenStorageError {
  const code = errno(err)
  const why =
    code === 'EISDIR'
      ? 'it is a directory, not a file'
      : code === 'EACCES' || code === 'EPERM'
        ? `permission denied; give this user read access (chmod 600 ${path})`
        : `${code ?? 'unknown error'}`
  return new TokenStorageError(TOKEN_STORE_UNREADABLE, `Cannot read the token file ${path}: ${why}. It was left as it is.`, { cause: err })
}

/**
 * The ssh treatment for the folder too: in a folder that group or others may write to (without
 * the sticky bit, as /tmp has), another user could replace the token file with their own login,
 * or a link. Such a folder is refused, with what to do.
 */
async function assertSafeFolder(path: string, code: typeof TOKEN_STORE_UNREADABLE | typeof TOKEN_STORE_WRITE_FAILED): Promise<void> {
  const dir = dirname(path)
  const info = await stat(dir)
  if ((info.mode & 0o022) !== 0 && (info.mode & 0o1000) === 0) {
    const who = info.mode & 0o002 ? 'anyone' : 'its group'
    throw new TokenStorageError(code, `Refusing the token file ${path}: its folder ${dir} can be written by ${who} (mode ${(info.mode & 0o7777).toString(8)}), so another user could swap the file. Run \`chmod go-w ${dir}\`, or use a folder of your own.`)
  }
}

/**
 * Stores tokens in a JSON file, safely shared by processes on one machine:
 *
 * - the file is mode 0600 and a directory it creates is 0700, whatever the umask;
 * - writes are atomic (a temporary file in the same directory, fsync, rename, fsync of the
 *   directory), so a reader, or a process killed mid-write, never sees half a file;
 * - `lock(fn)` excludes other processes through a lock file that expires when its holder dies,
 *   and is never broken while its holder (on this host) lives;
 * - on a read-only mount (a Kubernetes Secret) it loads, and `save` fails with
 *   `TOKEN_STORE_READ_ONLY`: the token manager then keeps refreshed tokens in memory;
 * - a corrupt or unreadable file is a `TokenStorageError` naming the path, and is never
 *   overwritten: fix or remove it, or `clear()` it, then log in again.
 *
 * The layout is the one the Anthropic Python SDK's token file uses, so both can share it;
 * {@link SdkProfileTokenStore} writes the Anthropic SDK's profile layout instead.
 *
 * @example
 * ```ts
 * import { FileTokenStore } from '@oauth/storage-file'
 * const store = new FileTokenStore({ path: '/tmp/oauth-example/tokens.json' }) // default ~/.anthropic/oauth_tokens.json
 * const tokens = await store.load() // null when there is no file yet
 * ```
 */
export class FileTokenStore implements TokenStore {
  readonly path: string
  readonly name: string
  readonly #lockPath: string
  readonly #lockOptions: { staleMs: number; timeoutMs: number }
  /** What the lock this async context holds knows, if any: a save made under a lock that was lost is refused. */
  readonly #listeners = new Set<(change: TokenStoreChange) => void>()
  #watcher: FSWatcher | undefined
  /** The inode of the file this store wrote last (every atomic write makes a new one), or 0 after it removed the file. */
  #own: number | undefined

  constructor(options: FileTokenStoreOptions = {}) {
    // `new FileTokenStore('/path')` once fell back to the default path: the user's real login.
    assertOptions(options, 'FileTokenStore', ['path', 'lock'])
    const path = options.path ?? defaultTokenPath()
    if (typeof path !== 'string' || path === '') {
      throw invalidArgument(typeof path === 'string' ? ERR_INVALID_ARG_VALUE : ERR_INVALID_ARG_TYPE, 'FileTokenStore needs `path` as a non-empty string (or none, for the default).')
    }
    this.path = resolve(path)
    this.name = `file ${this.path}`
    this.#lockPath = `${this.path}.lock`
    this.#lockOptions = { staleMs: options.lock?.staleMs ?? 10_000, timeoutMs: options.lock?.timeoutMs ?? 30_000 }
  }

  /** Fields written beside the tokens on every save (a layout's own markers). None here. */
  protected writtenFields(_tokens: OAuthTokens): Readonly<Record<string, unknown>> {
    return {}
  }

  /** Runs before every save, after the directory exists (a layout's companion files). Nothing here. */
  protected async prepareSave(_tokens: OAuthTokens): Promise<void> {}

  /** The file's text for `tokens`, with the fields to keep. A layout may write some fields its own way. */
  protected serialize(tokens: OAuthTokens, keep: Readonly<Record<string, unknown>>): string {
    return `${serializeTokens(tokens, { keep, indent: 2 })}\n`
  }

  async load(): Promise<OAuthTokens | null> {
    const text = await this.#read()
    const stored = text === null ? null : parseStoredTokens(text, this.path)
    this.#remember(stored?.fields ?? null)
    return stored?.tokens ?? null
  }

  /** Under the lock, what was read or written is what the file holds: the next save need not read it again. */
  #remember(fields: Readonly<Record<string, unknown>> | null): void {
    const held = HELD.get(this)
    if (held) held.fields = fields
  }

  async #read(): Promise<string | null> {
    try {
      // A FIFO or a device at the path would block the read forever: refuse anything but a file.
      const info = await stat(this.path)
      if (!info.isFile()) {
        const what = info.isDirectory() ? 'it is a directory, not a file' : 'it is not a regular file (a FIFO, a socket or a device)'
        throw new TokenStorageError(TOKEN_STORE_UNREADABLE, `Cannot read the token file ${this.path}: ${what}. It was left as it is.`)
      }
      // The ssh treatment: a token file owned by another user is refused (someone else could
      // have put a login there, or read ours); one of ours that group or others may read or
      // write is repaired to 0600 before it is read.
      const uid = process.getuid?.()
      if (uid !== undefined && info.uid !== uid && info.uid !== 0) {
        throw new TokenStorageError(TOKEN_STORE_UNREADABLE, `Refusing the token file ${this.path}: it belongs to another user (uid ${info.uid}). Remove it, or log in again with a path of your own.`)
      }
      await assertSafeFolder(this.path, TOKEN_STORE_UNREADABLE)
      // A read-only mount cannot be repaired, and nobody can write a login into it either.
      if ((info.mode & 0o077) !== 0 && info.uid === uid) await chmod(this.path, 0o600).catch((err) => {
        if (errno(err) !== 'EROFS') throw err
      })
      return await readFile(this.path, 'utf8')
    } catch (err) {
      if (err instanceof TokenStorageError) throw err
      if (errno(err) === 'ENOENT') return null
      throw unreadable(this.path, err)
    }
  }

  async save(tokens: OAuthTokens): Promise<void> {
    // Never replace a file we cannot read: it may hold a login another tool wrote. Fields of
    // it that we do not know (`subscription_type`, written by other tools) are kept. Under the
    // lock, the file as this holder last read it serves: it is read once per refresh.
    const held = HELD.get(this)
    let kept = held?.fields
    if (kept === undefined) {
      try {
        const text = await this.#read()
        kept = text === null ? null : parseStoredTokens(text, this.path).fields
      } catch (err) {
        if (err instanceof TokenStorageError && errorCodes.has(err.code)) throw err
        kept = null
      }
    }
    // Under the lock, lock() has already made the folder.
    if (!held) await ensureDirectory(dirname(this.path))
    await assertSafeFolder(this.path, TOKEN_STORE_WRITE_FAILED)
    await this.prepareSave(tokens)
    const keep = { ...kept, ...this.writtenFields(tokens) }
    // Fenced: a holder whose lock was taken over while it was paused writes nothing.
    await writeFileAtomic(this.path, this.serialize(tokens, keep), held && (() => held.lease.confirm()), (ino) => (this.#own = ino))
    // What the next save keeps: the tokens' own fields in it are always written over.
    if (held) held.fields = keep
  }

  async clear(): Promise<void> {
    try {
      this.#own = 0
      await unlink(this.path)
      this.#remember(null)
    } catch (err) {
      if (errno(err) === 'ENOENT') return this.#remember(null)
      if (isReadOnly(err)) throw readOnlyError(dirname(this.path), err)
      throw new TokenStorageError(TOKEN_STORE_WRITE_FAILED, `Cannot remove the token file ${this.path} (${errno(err)}).`, { cause: err })
    }
  }

  /**
   * Calls `listener` when another process saved or removed the token file (`fs.watch` on its
   * folder), and returns a function that stops it. The token manager subscribes: it drops the
   * tokens it keeps in memory, and a process waiting for another's refresh takes the saved tokens
   * as soon as they are on disk, instead of waiting for the lock. A folder that does not exist yet
   * (a service started before the first login) is waited for: the nearest folder above it is
   * watched until it appears. Where nothing can be watched (a network file system without change
   * events) nothing is told, and the manager re-reads the file under the lock, as it always does
   * before refreshing.
   */
  subscribe(listener: (change: TokenStoreChange) => void): () => void {
    this.#listeners.add(listener)
    if (!this.#watcher) this.#watch()
    return () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) this.#unwatch()
    }
  }

  /** Watches the token file's folder or, while it does not exist, the nearest folder above it. */
  #watch(): void {
    const folder = dirname(this.path)
    for (let dir = folder, below = basename(this.path); ; below = basename(dir), dir = dirname(dir)) {
      try {
        // Not persistent: a watch never keeps the process alive.
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (this.#watcher !== watcher) return
          if (dir === folder && name === below) return void this.#changed()
          // Above the folder, the next folder down appeared; in the folder, an event about the
          // folder itself is its removal (it may be made again by the time we look, even with the
          // same inode): watched again either way.
          if (name === (dir === folder ? basename(dir) : below)) void this.#rewatch(watcher)
        })
        watcher.on('error', () => void this.#rewatch(watcher))
        this.#watcher = watcher
        return
      } catch (err) {
        // not watchable (and not because it is missing), or nothing above it left: the lock path serves
        if (errno(err) !== 'ENOENT' || dirname(dir) === dir) return
      }
    }
  }

  /** Watches again, closer to the folder or from above it, when what `watcher` watched changed shape. */
  async #rewatch(watcher: FSWatcher): Promise<void> {
    if (this.#watcher !== watcher) return
    this.#unwatch()
    if (this.#listeners.size === 0) return
    this.#watch()
    // The folder is watched from now on: a file another process saved in it before is told too.
    const saved = await stat(this.path).then((s) => s.ino !== this.#own, () => false)
    if (saved && this.#watcher) for (const listener of this.#listeners) listener('saved')
  }

  #unwatch(): void {
    this.#watcher?.close()
    this.#watcher = undefined
  }

  async #changed(): Promise<void> {
    let change: TokenStoreChange
    try {
      if ((await stat(this.path)).ino === this.#own) return // this store's own save
      change = 'saved'
    } catch (err) {
      if (errno(err) !== 'ENOENT' || this.#own === 0) return // this store's own removal
      change = 'cleared'
    }
    // The file is no longer the one this store wrote: a later file that reuses its inode number
    // (file systems hand freed ones out again) is someone else's.
    this.#own = undefined
    for (const listener of this.#listeners) listener(change)
  }

  async exists(): Promise<boolean> {
    return stat(this.path).then(
      (s) => s.isFile(),
      () => false,
    )
  }

  async lock<T>(fn: (lease: LockLease) => Promise<T>): Promise<T> {
    // The lock file sits beside the token file: its directory may not exist before the first login.
    await ensureDirectory(dirname(this.path)).catch((err) => {
      if (!(err instanceof TokenStorageError && err.code === TOKEN_STORE_READ_ONLY)) throw err
    })
    return withFileLock(this.#lockPath, this.#lockOptions, (lease) => HELD.run(this, { lease }, () => fn(lease)))
  }

  toJSON(): Record<string, unknown> {
    return { store: 'file', path: this.path }
  }

  readonly [INSPECT] = inspectSummary
}
