import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { sleep, TOKEN_STORE_READ_ONLY, TOKEN_STORE_WRITE_FAILED, TokenStorageError } from '@oauth/core'
import { errno, isReadOnly } from './errno.js'

/** What Windows answers a rename while an antivirus or indexer holds the file open: it passes within moments. */
const TRANSIENT_RENAME = new Set(['EPERM', 'EBUSY', 'EACCES'])
const RENAME_ATTEMPTS = 8

/** `TOKEN_STORE_READ_ONLY` for `dir`: a read-only mount, or a directory this user may not write. */
export function readOnlyError(dir: string, err: unknown): TokenStorageError {
  return new TokenStorageError(
    TOKEN_STORE_READ_ONLY,
    `Cannot write in ${dir} (${errno(err)}): it is read-only for this process (a read-only mount, or a directory this user may not write). Tokens refreshed now are kept in memory only.`,
    { cause: err },
  )
}

/** mkdir -p, with every directory it creates set to 0700 whatever the umask. */
export async function ensureDirectory(dir: string): Promise<void> {
  let first: string | undefined
  try {
    first = await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw isReadOnly(err)
      ? readOnlyError(dir, err)
      : new TokenStorageError(TOKEN_STORE_WRITE_FAILED, `Cannot create the directory ${dir} for the token file (${errno(err)}).`, { cause: err })
  }
  for (let d = dir; first && d.length >= first.length; d = dirname(d)) await chmod(d, 0o700)
}

/**
 * Replaces `path` with `content` atomically and durably, mode 0600 whatever the umask: a
 * temporary file in the same directory, fsync, rename, fsync of the directory. A reader, or a
 * process killed mid-write, never sees half a file. `beforeRename` runs last before the
 * rename and may refuse the write by throwing (the store's lock fence); `renaming` is told the
 * new file's inode just before it takes the path (a watcher can then tell this write apart).
 */
export async function writeFileAtomic(path: string, content: string, beforeRename?: () => Promise<void>, renaming?: (ino: number) => void): Promise<void> {
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  let created = false
  let ino = 0
  try {
    const handle = await open(tmp, 'wx', 0o600)
    created = true
    try {
      await handle.chmod(0o600) // open's mode is filtered by the umask; this is not
      await handle.writeFile(content, 'utf8')
      await handle.sync()
      ino = (await handle.stat()).ino
    } finally {
      await handle.close()
    }
    await beforeRename?.()
    // The file keeps its inode through the rename: a watcher can tell this write from another's.
    renaming?.(ino)
    await renameRetrying(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => undefined)
    if (err instanceof TokenStorageError) throw err
    if (!created && isReadOnly(err)) throw readOnlyError(dir, err)
    throw new TokenStorageError(TOKEN_STORE_WRITE_FAILED, `Cannot write the token file ${path} (${errno(err) ?? err}). The previous file, if any, is unchanged.`, { cause: err })
  }
  // The rename is durable only once the directory entry is on disk.
  const dirHandle = await open(dir, 'r').catch(() => null)
  await dirHandle?.sync().catch(() => undefined)
  await dirHandle?.close()
  await removeLeftovers(dir, basename(path))
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

/** Temporary files of writers killed mid-write (they hold tokens): removed once they are a minute old. */
async function removeLeftovers(dir: string, base: string): Promise<void> {
  const prefix = `.${base}.`
  const names = await readdir(dir).catch(() => [] as string[])
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue
    const file = join(dir, name)
    const age = await stat(file).then((s) => Date.now() - s.mtimeMs, () => 0)
    if (age > 60_000) await unlink(file).catch(() => undefined)
  }
}
