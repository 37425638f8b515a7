import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { buildAuthorizationUrl, OAuthFlowError, parseAuthCode, resolveConfig, type AuthCode, type OAuthConfig, type OAuthTokens } from '@oauth/core'
import { exchangeCodeForTokens, type TokenRequestOptions } from '@oauth/http'

/** Options for {@link authorizeInteractive}. */
export interface AuthorizeInteractiveOptions {
  /** Where the prompt is read. Default `process.stdin`. */
  input?: Readable
  /** Where the URL and prompts are written. Default `process.stderr` (stdout stays clean for scripts). */
  output?: Writable
  /** Open the system browser. Default: when there is a display and this is not an SSH session. */
  openBrowser?: boolean | ((url: string) => void | Promise<void>)
  /**
   * For a loopback redirect URI (`http://127.0.0.1[:port]/path`, RFC 8252 §7.3), also listen
   * there and take the code from the browser's redirect; pasting still works meanwhile.
   * Default true. The Anthropic preset's redirect is Anthropic's own page: paste only.
   */
  loopback?: boolean
  /** Gives up after this long. Default 10 minutes. */
  timeoutMs?: number
  signal?: AbortSignal
  /** For the code exchange. */
  requestOptions?: TokenRequestOptions
}

/** True where opening a browser can work: not over SSH, and on Linux only with a display. */
export function canOpenBrowser(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (env.SSH_CONNECTION || env.SSH_TTY || env.SSH_CLIENT) return false
  if (platform === 'darwin' || platform === 'win32') return true
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY)
}

function openSystemBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]]
  try {
    const child = spawn(command as string, args as string[], { stdio: 'ignore', detached: true })
    child.on('error', () => undefined) // no browser: the printed URL is enough
    child.unref()
  } catch {
    // same
  }
}

function loopbackTarget(redirectUri: string): URL | undefined {
  const url = new URL(redirectUri)
  const loopbackHost = url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost'
  return url.protocol === 'http:' && loopbackHost ? url : undefined
}

const DONE_PAGE = '<!doctype html><meta charset="utf-8"><title>Signed in</title><p>Signed in. You can close this window and return to the terminal.</p>'

/**
 * Runs the browser login in a terminal and returns the tokens: prints the authorization URL,
 * opens the browser where there is one, and reads the pasted `code#state` (or the whole
 * callback URL). For servers with a loopback redirect URI it also catches the redirect on
 * 127.0.0.1, so there is nothing to paste. The state is checked before the code is spent.
 *
 * @example
 * ```ts
 * import { AnthropicOAuth, TokenStorage } from '@oauth/client'
 * const tokens = await AnthropicOAuth.authorizeInteractive()
 * await new TokenStorage().save(tokens)
 * ```
 */
export async function authorizeInteractive(config?: OAuthConfig, options: AuthorizeInteractiveOptions = {}): Promise<OAuthTokens> {
  const input = options.input ?? process.stdin
  const output = options.output ?? process.stderr
  let resolved = resolveConfig(config)
  let server: Server | undefined
  let fromBrowser: Promise<AuthCode> | undefined
  const target = options.loopback === false ? undefined : loopbackTarget(resolved.redirectUri)
  if (target) {
    server = createServer()
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject)
      server!.listen(Number(target.port || 0), target.hostname.replace(/^\[|\]$/g, ''), () => resolve())
    })
    target.port = String((server.address() as AddressInfo).port)
    resolved = { ...resolved, redirectUri: target.href }
    fromBrowser = new Promise<AuthCode>((resolve, reject) => {
      server!.on('request', (req, res) => {
        const url = new URL(req.url ?? '/', target)
        if (url.pathname !== target.pathname) return void res.writeHead(404).end()
        try {
          const parsed = parseAuthCode(url.href)
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(DONE_PAGE)
          resolve(parsed)
        } catch (err) {
          res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end((err as Error).message)
          reject(err)
        }
      })
    })
  }

  const { url, oauthState } = await buildAuthorizationUrl(resolved)
  const rl = createInterface({ input, terminal: false })
  const cleanup = () => {
    rl.close()
    server?.closeAllConnections()
    server?.close()
  }
  try {
    const pasted = new Promise<AuthCode>((resolve, reject) => {
      const tryLine = (line: string) => {
        if (line.trim() === '') return
        try {
          resolve(parseAuthCode(line))
        } catch (err) {
          output.write(`${(err as Error).message}\nTry again: `)
        }
      }
      rl.on('line', tryLine)
      rl.once('close', () => reject(new OAuthFlowError('OAUTH_INVALID_AUTH_CODE', 'The input ended before a code was pasted. Run the login again.')))
    })
    // Listening before the browser opens: a fast paste must not be read and dropped.
    output.write(`\nOpen this URL in a browser to sign in:\n\n  ${url}\n\n`)
    output.write(fromBrowser ? 'Waiting for the browser… or paste the code (or the callback URL) here: ' : 'Paste the code shown after signing in (code#state), then press Enter: ')
    const open = options.openBrowser ?? canOpenBrowser()
    if (typeof open === 'function') void Promise.resolve(open(url)).catch(() => undefined)
    else if (open) openSystemBrowser(url)
    const timeoutMs = options.timeoutMs ?? 600_000
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OAuthFlowError('OAUTH_TIMEOUT', `No code within ${Math.round(timeoutMs / 1000)} s. Run the login again.`)), timeoutMs)
      options.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true })
    })
    try {
      const { code, state } = await Promise.race([pasted, timeout, ...(fromBrowser ? [fromBrowser] : [])])
      output.write('\nExchanging the code for tokens…\n')
      return await exchangeCodeForTokens(code, state, oauthState, resolved, options.requestOptions)
    } finally {
      clearTimeout(timer)
    }
  } finally {
    cleanup()
  }
}
