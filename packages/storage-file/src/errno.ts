/** The `code` of a Node file-system error (`ENOENT`, `EROFS`, …), if it has one. */
export const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException)?.code
