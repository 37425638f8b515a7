import { constants, readFileSync } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { TOKEN_STORE_WRITE_FAILED, TokenStorageError, type OAuthConfig, type TokenStore } from '@oauth/core'
import { FileTokenStore, SdkProfileTokenStore } from '@oauth/storage-file'

export const STORE_HELP = `Store options:
  --store <file|keychain|profile>  where the login lives (default: file)
  --path <file>                    the token file (default: ~/.anthropic/oauth_tokens.json)
  --profile <name>                 with --store profile: the Anthropic SDK profile (default: default)
  --config <file.json>             an OAuthConfig for another OAuth server (default: the Anthropic preset;
                                   also ANTHROPIC_OAUTH_CONFIG_FILE=<file.json>)`

export const STORE_OPTIONS = {
  store: { type: 'string' },
  path: { type: 'string' },
  profile: { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export class UsageError extends Error {}

export async function storeFrom(values: { store?: string; path?: string; profile?: string }): Promise<TokenStore> {
  const kind = values.store ?? 'file'
  if (kind === 'file') return new FileTokenStore({ path: values.path })
  if (kind === 'profile') return new SdkProfileTokenStore({ profile: values.profile })
  if (kind === 'keychain') {
    // The keychain keeps the tokens; the file store's lock keeps processes from refreshing at once.
    // Loaded only when asked for: a native binding that cannot load must not break the file store.
    const { KeychainTokenStore } = await import('@oauth/storage-keychain')
    const file = new FileTokenStore({ path: values.path })
    return new KeychainTokenStore({ lock: { using: file } })
  }
  throw new UsageError(`Unknown store "${kind}": use file, keychain or profile.`)
}

export function configFrom(values: { config?: string }, env: NodeJS.ProcessEnv): OAuthConfig | undefined {
  const path = values.config ?? env.ANTHROPIC_OAUTH_CONFIG_FILE
  if (!path) return undefined
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as OAuthConfig
  } catch (err) {
    throw new UsageError(`Cannot read the OAuth config ${path}: ${(err as Error).message}`)
  }
}

/**
 * Checks, before a login spends its code, that the store can be read (a corrupt or unreadable
 * login is reported now, with its path) and, for a file, that its folder can be written.
 */
export async function assertCanSave(store: TokenStore): Promise<void> {
  await store.load()
  if (!(store instanceof FileTokenStore)) return
  // The nearest folder that exists must be a writable folder: the store creates the rest.
  let dir = dirname(store.path)
  for (;;) {
    const info = await stat(dir).catch(() => undefined)
    if (info || dir === dirname(dir)) {
      const ok = info?.isDirectory() && (await access(dir, constants.W_OK).then(() => true, () => false))
      if (!ok) {
        throw new TokenStorageError(TOKEN_STORE_WRITE_FAILED, `Cannot save a login to ${store.path}: ${dir} is not a writable folder. Choose another --path; nothing was sent.`)
      }
      return
    }
    dir = dirname(dir)
  }
}
