export interface Requirement {
  program: string
  pkg: string
  why: string
}
export const REQUIREMENTS: Requirement[]
export function which(program: string, path?: string): string | undefined
export function isDebianLike(osRelease?: string): boolean
export function plan(options?: { path?: string; debianLike?: boolean; root?: boolean; hasApt?: boolean }): {
  action: 'none' | 'install' | 'stop'
  missing: Requirement[]
  packages?: string[]
  command?: string
}
export function provision(log?: (line: string) => void): boolean
