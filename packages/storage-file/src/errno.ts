/** The `code` of a Node file-system error (`ENOENT`, `EROFS`, …), if it has one. */
export const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException)?.code

/** Nobody may write here: a read-only mount (a Kubernetes Secret), or a directory this user may not write. */
export const isReadOnly = (err: unknown): boolean => ['EROFS', 'EACCES', 'EPERM'].includes(errno(err)!)
