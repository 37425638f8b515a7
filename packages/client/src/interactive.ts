import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { ANTHROPIC_LONG_LIVED_EXPIRES_IN_SECONDS, ANTHROPIC_LONG_LIVED_SCOPES, ANTHROPIC_OAUTH_CONFIG } from '@oauth/anthropic'
import {
  buildAuthorizationUrl,
  ERR_INVALID_ARG_VALUE,
  invalidArgument,
  isLoopbackUrl,
  OAUTH_INVALID_AUTH_CODE,
  OAUTH_LOGIN_TIMEOUT,
  OAuthFlowError,
  parseAuthCode,
  resolveConfig,
  timingSafeEqual,
  type AuthCode,
  type OAuthConfig,
  type OAuthTokens,
} from '@oauth/core'
import { exchangeCodeForTokens, type TokenRequestOptions } from '@oauth/http'
import { proxyFetch } from './proxy.js'

/** Options for {@link authorizeInteractive}. */
export interface AuthorizeInteractiveOptions {
  /** Where the prompt is read. Default `process.stdin`. */
  input?: Readable
  /** Where the URL and prompts are written. Default `process.stderr` (stdout stays clean for scripts). */
  output?: Writable
  /** Open the system browser. Default: when there is a display and this is not an SSH session. */
  openBrowser?: boolean | ((url: string) => void | Promise<void>)
  /**
   * `automatic`: the redirect goes to a server on 127.0.0.1 (the config's loopback redirect),
   * so there is nothing to paste. `manual`: the redirect goes to the config's `redirectUri`
   * (for the Anthropic preset, a page that shows `code#state` to paste). Default: automatic
   * where a browser is opened and the config has a loopback redirect, else manual. Pasting
   * the code or the callback URL works in both.
   */
  mode?: 'automatic' | 'manual'
  /**
   * For a config whose `redirectUri` itself is loopback (`http://127.0.0.1[:port]/path`,
   * RFC 8252 §7.3): listen there and take the code from the browser's redirect. Default true.
   */
  loopback?: boolean
  /**
   * The Anthropic preset's long-lived login, as the first-party `setup-token`: the inference-only
   * scope and a one-year token, with no refresh token. Default false.
   */
  longLived?: boolean
  /**
   * Extra authorization-request parameters for this login, on top of the config's
   * `authorizeParams`: `{ prompt: 'select_account' }` lets the user pick another account than
   * the one the browser is signed in to; `{ login_hint: 'me@example.com' }` suggests one.
   */
  authorizeParams?: Readonly<Record<string, string>>
  /** Gives up after this long. Default 10 minutes. */
  timeoutMs?: number
  signal?: AbortSignal
  /** For the code exchange. */
  oauthRequestOptions?: TokenRequestOptions
}

/** True where opening a browser can work: not over SSH, and on Linux only with a display. */
export function canOpenBrowser(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (env.SSH_CONNECTION || env.SSH_TTY || env.SSH_CLIENT) return false
  if (platform === 'darwin' || platform === 'win32') return true
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY)
}

/**
 * The program and arguments that open `url` in the system browser, run without a shell on every
 * platform: a URL from the network (a discovered authorization endpoint) can hold `&`, `|` or
 * quotes, and `cmd /c start` would run what follows an `&`. Windows uses
 * `rundll32 url.dll,FileProtocolHandler`, which takes the URL as it is. Only http(s) URLs are
 * opened: `null` for anything else.
 */
export function browserCommand(url: string, platform: NodeJS.Platform = process.platform): [string, string[]] | null {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) return null
  const href = new URL(url).href // percent-encodes spaces and quotes
  if (platform === 'darwin') return ['open', [href]]
  if (platform === 'win32') return ['rundll32', ['url.dll,FileProtocolHandler', href]]
  return ['xdg-open', [href]]
}

function openSystemBrowser(url: string): void {
  const command = browserCommand(url)
  if (!command) return // the URL is printed; nothing else is opened
  try {
    const child = spawn(command[0], command[1], { stdio: 'ignore', detached: true, shell: false })
    child.on('error', () => undefined) // no browser: the printed URL is enough
    child.unref()
  } catch {
    // same
  }
}

function isLoopbackUri(uri: string | undefined): uri is string {
  if (!uri) return false
  const url = new URL(uri)
  return url.protocol === 'http:' && isLoopbackUrl(url)
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
export async function authorizeInteractive(config: OAuthConfig = ANTHROPIC_OAUTH_CONFIG, options: AuthorizeInteractiveOptions = {}): Promise<OAuthTokens> {
  options.signal?.throwIfAborted()
  const input = options.input ?? process.stdin
  const output = options.output ?? process.stderr
  let resolved = resolveConfig(config)
  if (options.longLived) resolved = { ...resolved, scopes: ANTHROPIC_LONG_LIVED_SCOPES }
  if (options.authorizeParams) resolved = { ...resolved, authorizeParams: { ...resolved.authorizeParams, ...options.authorizeParams } }
  const open = options.openBrowser ?? canOpenBrowser()
  const loopbackUri = isLoopbackUri(resolved.redirectUri) ? resolved.redirectUri : resolved.loopbackRedirectUri
  const mode = options.mode ?? (open && isLoopbackUri(loopbackUri) ? 'automatic' : 'manual')
  if (mode === 'automatic' && !isLoopbackUri(loopbackUri)) {
    throw invalidArgument(ERR_INVALID_ARG_VALUE, 'The automatic login needs a loopback redirect URI (`redirectUri` or `loopbackRedirectUri` on http://127.0.0.1, [::1] or localhost). Use the manual mode.')
  }
  const listenOn = mode === 'automatic' ? loopbackUri : options.loopback !== false && isLoopbackUri(resolved.redirectUri) ? resolved.redirectUri : undefined

  let server: Server | undefined
  let fromBrowser: Promise<AuthCode> | undefined
  let expectedState = ''
  if (listenOn) {
    const target = new URL(listenOn)
    server = createServer()
    // "localhost" is served on 127.0.0.1: an IP literal cannot be taken over by another
    // address family's listener (RFC 8252 §8.3).
    const host = target.hostname === 'localhost' ? '127.0.0.1' : target.hostname.replace(/^\[|\]$/g, '')
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject)
      server!.listen(Number(target.port || 0), host, () => resolve())
    })
    target.port = String((server.address() as AddressInfo).port)
    // The exchange sends exactly this redirect URI, port included: the code is bound to it.
    resolved = { ...resolved, redirectUri: target.href }
    fromBrowser = new Promise<AuthCode>((resolve, reject) => {
      server!.on('request', (req, res) => {
        const url = new URL(req.url ?? '/', target)
        if (url.pathname !== target.pathname) return void res.writeHead(404).end()
        // Only the real redirect ends the login: any web page can send the browser here, so a
        // request without this login's state is answered 400 and the server keeps waiting.
        if (!expectedState || !timingSafeEqual(url.searchParams.get('state') ?? '', expectedState)) {
          return void res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('This is not the sign-in you started: the state does not match. Keep waiting for the real one, or start over.')
        }
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
  expectedState = oauthState.state
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
      // With a loopback server still waiting, the end of the input (`</dev/null`, a closed
      // pipe) is not the end of the login: the browser can still come back.
      rl.once('close', () => {
        if (!fromBrowser) reject(new OAuthFlowError(OAUTH_INVALID_AUTH_CODE, 'The input ended before a code was pasted. Run the login again.'))
      })
    })
    // Listening before the browser opens: a fast paste must not be read and dropped.
    output.write(`\nOpen this URL in a browser to sign in:\n\n  ${url}\n\n`)
    output.write(fromBrowser ? 'Waiting for the browser… or paste the code (or the callback URL) here: ' : 'Paste the code shown after signing in (code#state), then press Enter: ')
    if (typeof open === 'function') void Promise.resolve(open(url)).catch(() => undefined)
    else if (open) openSystemBrowser(url)
    const timeoutMs = options.timeoutMs ?? 600_000
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OAuthFlowError(OAUTH_LOGIN_TIMEOUT, `No sign-in within ${Math.round(timeoutMs / 1000)} s. Run the login again.`)), timeoutMs)
      options.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true })
    })
    try {
      const { code, state } = await Promise.race([pasted, timeout, ...(fromBrowser ? [fromBrowser] : [])])
      output.write('\nExchanging the code for tokens…\n')
      const expiresIn = options.longLived ? ANTHROPIC_LONG_LIVED_EXPIRES_IN_SECONDS : undefined
      return await exchangeCodeForTokens(code, state, oauthState, resolved, { fetch: proxyFetch(), ...options.oauthRequestOptions, expiresIn })
    } finally {
      clearTimeout(timer)
    }
  } finally {
    cleanup()
  }
}
