import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import {
  DEFAULT_CLIENT_ID,
  deserializeTokens,
  sleep,
  serializeTokens,
  TOKEN_STORE_CORRUPT,
  TOKEN_STORE_READ_ONLY,
  TOKEN_STORE_UNREADABLE,
  TOKEN_STORE_WRITE_FAILED,
  TokenStorageError,
  type LockLease,
  type OAuthTokens,
  type TokenStore,
} from '@oauth/core'
import { errno, isReadOnly } from './errno.js'
import { withFileLock } from './lock.js'

/** Options for {@link FileTokenStore}. */
export interface FileTokenStoreOptions {
  /**
   * A lock held from another host whose holder stopped refreshing it this long ago counts as
   * abandoned. Default 10 s. A holder on this host is never judged by age: its lock is kept
   * while its process lives and taken over as soon as it dies.
   */
  staleLockMs?: number
  /** How long `lock()` waits for another holder. Default 30 s. */
  lockTimeoutMs?: number
  /** Extra top-level fields written beside the tokens (the SDK profile's `version` and `type`). */
  extraFields?: Readonly<Record<string, unknown>>
  /** Written once, if missing, before the first save: a companion file such as the SDK profile's config. */
  companion?: { path: string; content: Readonly<Record<string, unknown>> }
}

/** Options for {@link FileTokenStore.forSdkProfile}. */
export interface SdkProfileOptions {
  /** Default: `ANTHROPIC_CONFIG_DIR`, else `$XDG_CONFIG_HOME/anthropic`, else `~/.config/anthropic` (as the SDK). */
  configDir?: string
  /** The OAuth client the SDK refreshes with. Default: the Anthropic preset's. */
  clientId?: string
  /** The API base URL the profile points at, if not the default. */
  baseUrl?: string
}

const errorCodes = new Set([TOKEN_STORE_CORRUPT, TOKEN_STORE_UNREADABLE])
/** What Windows answers a rename while an antivirus or indexer holds the file open: it passes within moments. */
const TRANSIENT_RENAME = new Set(['EPERM', 'EBUSY', 'EACCES'])
const RENAME_ATTEMPTS = 8

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

function readOnly(dir: string, err: unknown): TokenStorageError {
  return new TokenStorageError(
    TOKEN_STORE_READ_ONLY,
    `Cannot write in ${dir} (${errno(err)}): it is read-only for this process (a read-only mount, or a directory this user may not write). Tokens refreshed now are kept in memory only.`,
    { cause: err },
  )
}

/**
 * rename(2), retried for about a second while it fails the way Windows fails a rename over a
 * file an antivirus or a search indexer has open (EPERM, EBUSY, EACCES), as npm's
 * write-file-atomic and graceful-fs do. Any other failure, or the last one, is thrown.
 */
async function renameRetrying(from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await rename(from, to)
    } catch (err) {
      if (attempt >= RENAME_ATTEMPTS || !TRANSIENT_RENAME.has(errno(err)!)) throw err
      await sleep(10 * 2 ** attempt) // 20 ms … 1.3 s in all
    }
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
 * The layout is the one the Anthropic Python SDK's token file uses, so both can share it.
 *
 * @example
 * ```ts
 * import { FileTokenStore } from '@oauth/storage-file'
 * const store = new FileTokenStore() // ~/.anthropic/oauth_tokens.json
 * const tokens = await store.load()  // null when there is no file yet
 * ```
 */
export class FileTokenStore implements TokenStore {
  readonly path: string
  readonly name: string
  readonly #lockPath: string
  readonly #staleMs: number
  readonly #timeoutMs: number
  readonly #extra: Readonly<Record<string, unknown>>
  readonly #companion: FileTokenStoreOptions['companion']
  /** The lease of the lock this async context holds, if any: a save made under a lock that was lost is refused. */
  readonly #lease = new AsyncLocalStorage<LockLease>()

  constructor(path: string = defaultTokenPath(), options: FileTokenStoreOptions = {}) {
    if (typeof path !== 'string' || path === '') throw new TypeError('FileTokenStore needs a file path (or none, for the default).')
    this.path = resolve(path)
    this.name = `file ${this.path}`
    this.#lockPath = `${this.path}.lock`
    this.#staleMs = options.staleLockMs ?? 10_000
    this.#timeoutMs = options.lockTimeoutMs ?? 30_000
    this.#extra = options.extraFields ?? {}
    this.#companion = options.companion
  }

  /**
   * A store in the Anthropic SDK's own profile layout: tokens in
   * `<config dir>/credentials/<profile>.json` (`expires_at` in epoch seconds) and, created
   * if missing, `<config dir>/configs/<profile>.json` saying `user_oauth`. After a login,
   * plain `new Anthropic({ profile })` works too. (The SDK's own refresh does not take this
   * store's lock; let one of the two refresh a given profile.)
   *
   * @example
   * ```ts
   * import { FileTokenStore } from '@oauth/storage-file'
   * const store = FileTokenStore.forSdkProfile('default')
   * ```
   */
  static forSdkProfile(profile = 'default', options: SdkProfileOptions & FileTokenStoreOptions = {}): FileTokenStore {
    if (!/^[A-Za-z0-9_.-]+$/.test(profile) || profile === '.' || profile === '..') {
      throw new TypeError(`Profile name "${profile}" is not allowed: use letters, digits, '_', '.' and '-'.`)
    }
    const env = process.env
    const configDir =
      options.configDir ?? env.ANTHROPIC_CONFIG_DIR ?? (env.XDG_CONFIG_HOME ? join(env.XDG_CONFIG_HOME, 'anthropic') : join(homedir(), '.config', 'anthropic'))
    const authentication: Record<string, unknown> = { type: 'user_oauth', client_id: options.clientId ?? DEFAULT_CLIENT_ID }
    return new FileTokenStore(join(configDir, 'credentials', `${profile}.json`), {
      ...options,
      extraFields: { version: '1.0', type: 'oauth_token' },
      companion: {
        path: join(configDir, 'configs', `${profile}.json`),
        content: { version: '1.0', authentication, ...(options.baseUrl ? { base_url: options.baseUrl } : {}) },
      },
    })
  }

  async load(): Promise<OAuthTokens | null> {
    const text = await this.#read()
    return text === null ? null : deserializeTokens(text, this.path)
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
    // it that we do not know (`subscription_type`, written by other tools) are kept.
    let kept: Record<string, unknown> = {}
    try {
      const text = await this.#read()
      if (text !== null) {
        deserializeTokens(text, this.path)
        kept = JSON.parse(text.replace(/^\ufeff/, '')) as Record<string, unknown>
      }
    } catch (err) {
      if (err instanceof TokenStorageError && errorCodes.has(err.code)) throw err
    }
    await this.#ensureDirectory(dirname(this.path))
    if (this.#companion) {
      const exists = await stat(this.#companion.path).then(() => true, () => false)
      if (!exists) {
        await this.#ensureDirectory(dirname(this.#companion.path))
        await this.#writeAtomic(this.#companion.path, `${JSON.stringify(this.#companion.content, null, 2)}\n`)
      }
    }
    const json = JSON.parse(serializeTokens(tokens)) as Record<string, unknown>
    await this.#writeAtomic(this.path, `${JSON.stringify({ ...kept, ...this.#extra, ...json }, null, 2)}\n`)
  }

  async clear(): Promise<void> {
    try {
      await unlink(this.path)
    } catch (err) {
      if (errno(err) === 'ENOENT') return
      if (isReadOnly(err)) throw readOnly(dirname(this.path), err)
      throw new TokenStorageError(TOKEN_STORE_WRITE_FAILED, `Cannot remove the token file ${this.path} (${errno(err)}).`, { cause: err })
    }
  }

  async exists(): Promise<boolean> {
    return stat(this.path).then(
      (s) => s.isFile(),
      () => false,
    )
  }

  async lock<T>(fn: (lease: LockLease) => Promise<T>): Promise<T> {
    // The lock file sits beside the token file: its directory may not exist before the first login.
    await this.#ensureDirectory(dirname(this.path)).catch((err) => {
      if (!(err instanceof TokenStorageError && err.code === TOKEN_STORE_READ_ONLY)) throw err
    })
    return withFileLock(this.#lockPath, { staleMs: this.#staleMs, timeoutMs: this.#timeoutMs }, (lease) => this.#lease.run(lease, () => fn(lease)))
  }

  toJSON(): Record<string, unknown> {
    return { store: 'file', path: this.path }
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `FileTokenStore ${JSON.stringify(this.toJSON())}`
  }

  /** mkdir -p, with every directory it creates set to 0700 whatever the umask. */
  async #ensureDirectory(dir: string): Promise<void> {
    let first: string | undefined
    try {
      first = await mkdir(dir, { recursive: true, mode: 0o700 })
    } catch (err) {
      throw isReadOnly(err)
        ? readOnly(dir, err)
        : new TokenStorageError(TOKEN_STORE_WRITE_FAILED, `Cannot create the directory ${dir} for the token file (${errno(err)}).`, { cause: err })
    }
    for (let d = dir; first && d.length >= first.length; d = dirname(d)) await chmod(d, 0o700)
  }

  async #writeAtomic(path: string, content: string): Promise<void> {
    const dir = dirname(path)
    const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
    let created = false
    try {
      const handle = await open(tmp, 'wx', 0o600)
      created = true
      try {
        await handle.chmod(0o600) // open's mode is filtered by the umask; this is not
        await handle.writeFile(content, 'utf8')
        await handle.sync()
      } finally {
        await handle.close()
      }
      // Fenced: a holder whose lock was taken over while it was paused writes nothing.
      await this.#lease.getStore()?.confirm()
      await renameRetrying(tmp, path)
    } catch (err) {
      await unlink(tmp).catch(() => undefined)
      if (err instanceof TokenStorageError) throw err
      if (!created && isReadOnly(err)) throw readOnly(dir, err)
      throw new TokenStorageError(TOKEN_STORE_WRITE_FAILED, `Cannot write the token file ${path} (${errno(err) ?? err}). The previous file, if any, is unchanged.`, { cause: err })
    }
    // The rename is durable only once the directory entry is on disk.
    const dirHandle = await open(dir, 'r').catch(() => null)
    await dirHandle?.sync().catch(() => undefined)
    await dirHandle?.close()
    await this.#removeLeftovers(dir, basename(path))
  }

  /** Temporary files of writers killed mid-write (they hold tokens): removed once they are a minute old. */
  async #removeLeftovers(dir: string, base: string): Promise<void> {
    const prefix = `.${base}.`
    const names = await readdir(dir).catch(() => [] as string[])
    for (const name of names) {
      if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue
      const file = join(dir, name)
      const age = await stat(file).then((s) => Date.now() - s.mtimeMs, () => 0)
      if (age > 60_000) await unlink(file).catch(() => undefined)
    }
  }
}
