// Where an MCP client keeps its logins: the tokens of each login under its authorization
// server's issuer and its resource, and the records that go with them (the client registered
// at each authorization server, what discovery found for each MCP server).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TokenStore } from '@oauth/core'
import { ensureDirectory, FileTokenStore, writeFileAtomic } from '@oauth/storage-file'
import { MemoryTokenStore } from '@oauth/storage-memory'

/** One login: the authorization server it was made at and the resource it is for. */
export interface McpLoginKey {
  /** A name for it, safe as a file name or keychain account: the host and a hash of both. */
  key: string
  issuer: string
  /** The resource (RFC 8707), or the MCP server's URL for a server without resource metadata. */
  resource: string
}

/**
 * Storage for many MCP logins. One store holds any number of servers' logins, each under its
 * own key: logging out of one never touches another's.
 */
export interface McpLogins {
  /** The token store of one login (its lock is the one refreshes run under). */
  tokens(login: McpLoginKey): TokenStore
  /** A record kept beside the logins (JSON), or `undefined`. */
  read(key: string): Promise<unknown>
  write(key: string, value: unknown): Promise<void>
}

/** A short, stable, file-safe name for a set of strings: the host of the first, and 64 bits of their SHA-256. */
export async function keyFor(...parts: string[]): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(parts.join('\n'))))
  const hash = Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join('')
  const host = URL.canParse(parts[0] ?? '') ? new URL(parts[0]!).host.replace(/[^A-Za-z0-9.-]/g, '_') : 'login'
  return `${host}-${hash}`
}

/** Logins in this process's memory (the default): gone when it exits. */
export function memoryLogins(): McpLogins {
  const stores = new Map<string, TokenStore>()
  const records = new Map<string, string>()
  return {
    tokens: ({ key }) => {
      let store = stores.get(key)
      if (!store) stores.set(key, (store = new MemoryTokenStore()))
      return store
    },
    read: async (key) => (records.has(key) ? JSON.parse(records.get(key)!) : undefined),
    write: async (key, value) => void records.set(key, JSON.stringify(value)),
  }
}

/** Options for {@link fileLogins}. */
export interface FileLoginsOptions {
  /** Where each login's tokens live instead (a keychain, say); the records stay in files. Default: a file per login in the folder. */
  tokens?: (login: McpLoginKey) => TokenStore
}

/**
 * Logins in a folder: `<key>.tokens.json` per login (a `FileTokenStore`: mode 0600, atomic
 * writes, a lock shared by every process using the folder), and `<key>.json` per record. Pass
 * `tokens` to keep the tokens elsewhere, such as the OS keychain:
 *
 * @example
 * ```ts
 * import { fileLogins } from '@oauth/mcp'
 * import { KeychainTokenStore } from '@oauth/storage-keychain'
 * const logins = fileLogins('/home/me/.config/my-agent/mcp', { tokens: ({ key }) => new KeychainTokenStore({ service: 'my-agent-mcp', account: key }) })
 * ```
 */
export function fileLogins(dir: string, options: FileLoginsOptions = {}): McpLogins {
  const stores = new Map<string, TokenStore>()
  return {
    tokens: (login) => {
      let store = stores.get(login.key)
      if (!store) stores.set(login.key, (store = options.tokens?.(login) ?? new FileTokenStore({ path: join(dir, `${login.key}.tokens.json`) })))
      return store
    },
    read: async (key) => {
      try {
        return JSON.parse(await readFile(join(dir, `${key}.json`), 'utf8'))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        // A record we cannot read is not fatal: it is found again (discovery) or made again (registration).
        return undefined
      }
    },
    write: async (key, value) => {
      // A registered client may hold a secret: written as the token files are (0600, atomic, durable).
      await ensureDirectory(dir)
      await writeFileAtomic(join(dir, `${key}.json`), JSON.stringify(value, null, 2))
    },
  }
}
