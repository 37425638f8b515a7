import { PassThrough } from 'node:stream'
import { startAnthropicStandIn, startAuthorizationServer, type AnthropicStandIn, type AuthorizationServer } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AnthropicOAuth, browserCommand, canOpenBrowser, DEFAULT_REDIRECT_URI, ANTHROPIC_LONG_LIVED_SCOPES } from '../src/index.js'

let standIn: AnthropicStandIn
let oidc: AuthorizationServer
beforeAll(async () => {
  standIn = await startAnthropicStandIn()
  oidc = await startAuthorizationServer({ accessTokenTtl: 60 })
})
afterAll(async () => {
  await standIn.close()
  await oidc.close()
})

function terminal() {
  const input = new PassThrough()
  const output = new PassThrough()
  let printed = ''
  output.on('data', (d: Buffer) => (printed += d))
  return { input, output, printed: () => printed }
}

describe('authorizeInteractive with the Anthropic preset', () => {
  it('manual mode: prints the URL, takes the pasted code#state, and exchanges it with the redirect the authorization used', async () => {
    const t = terminal()
    const tokens = await AnthropicOAuth.authorizeInteractive(standIn.config, {
      ...t,
      mode: 'manual',
      // The "user": signs in on the printed URL and pastes what the paste page shows.
      openBrowser: async (url) => {
        t.input.write(`not-a-code\n  ${await standIn.approve(url)}  \n`)
      },
    })
    expect(tokens.account?.emailAddress).toBe('dev@example.com')
    expect(t.printed()).toContain(`${standIn.local('https://claude.com/cai/oauth/authorize')}?code=true`)
    expect(t.printed()).toContain('Try again')
    const exchange = standIn.tokenRequests.at(-1)!
    expect(exchange.host).toBe('platform')
    expect(exchange.headers['content-type']).toBe('application/json')
    expect(exchange.headers['anthropic-beta']).toBe('oauth-2025-04-20')
    expect(Object.keys(exchange.body as object).sort()).toEqual(['client_id', 'code', 'code_verifier', 'grant_type', 'redirect_uri', 'state'])
    expect((exchange.body as { redirect_uri: string }).redirect_uri).toBe(DEFAULT_REDIRECT_URI)
  })

  it('automatic mode: the browser comes back to a localhost server, and the exchange sends that exact redirect URI', async () => {
    const t = terminal()
    let sent = ''
    const tokens = await AnthropicOAuth.authorizeInteractive(standIn.config, {
      ...t,
      openBrowser: async (url) => {
        sent = new URL(url).searchParams.get('redirect_uri')!
        await standIn.approve(url)
      },
    })
    expect(tokens.refreshToken).toBeTruthy()
    expect(sent).toMatch(/^http:\/\/localhost:\d+\/callback$/)
    expect((standIn.tokenRequests.at(-1)!.body as { redirect_uri: string }).redirect_uri).toBe(sent)
    expect(t.printed()).toContain('Waiting for the browser')
  })

  it('a code issued for another redirect URI is refused by the service (codes are bound to it)', async () => {
    const t = terminal()
    const login = AnthropicOAuth.authorizeInteractive(standIn.config, {
      ...t,
      mode: 'manual',
      openBrowser: (url) => {
        const params = new URL(url).searchParams
        t.input.write(`${standIn.issueCode(params.get('code_challenge')!, params.get('state')!, 'http://localhost:1/callback')}#${params.get('state')}\n`)
      },
    })
    await expect(login).rejects.toMatchObject({ code: 'OAUTH_INVALID_GRANT' })
  })

  it('long-lived: asks for the inference-only scope and a one-year token, and gets no refresh token', async () => {
    const t = terminal()
    const tokens = await AnthropicOAuth.authorizeInteractive(standIn.config, {
      ...t,
      mode: 'manual',
      longLived: true,
      openBrowser: async (url) => {
        expect(new URL(url).searchParams.get('scope')).toBe(ANTHROPIC_LONG_LIVED_SCOPES)
        t.input.write(`${await standIn.approve(url)}\n`)
      },
    })
    expect((standIn.tokenRequests.at(-1)!.body as { expires_in: unknown }).expires_in).toBe(31_536_000)
    expect(tokens.refreshToken).toBeUndefined()
    expect(tokens.scope).toBe('user:inference')
    expect(tokens.expiresAt! - Date.now()).toBeGreaterThan(364 * 86_400_000)
  })

  it('authorizeParams: prompt=select_account lets the user pick another account than the browser\'s; the config\'s own parameters stay', async () => {
    const t = terminal()
    const tokens = await AnthropicOAuth.authorizeInteractive(standIn.config, {
      ...t,
      mode: 'manual',
      authorizeParams: { prompt: 'select_account', login_hint: 'work@example.com' },
      openBrowser: async (url) => {
        const params = new URL(url).searchParams
        expect([params.get('prompt'), params.get('login_hint'), params.get('code')]).toEqual(['select_account', 'work@example.com', 'true'])
        t.input.write(`${await standIn.approve(url)}\n`)
      },
    })
    // The chooser defaults to the hinted account, not the one the browser is signed in to.
    expect(tokens.account?.emailAddress).toBe('work@example.com')
  })

  it('refuses a pasted code from another login before spending it', async () => {
    const t = terminal()
    const login = AnthropicOAuth.authorizeInteractive(standIn.config, {
      ...t,
      mode: 'manual',
      openBrowser: (url) => {
        const params = new URL(url).searchParams
        t.input.write(`${standIn.issueCode(params.get('code_challenge')!, 'other')}#forged-state\n`)
      },
    })
    const before = standIn.tokenRequests.length
    await expect(login).rejects.toMatchObject({ code: 'OAUTH_STATE_MISMATCH' })
    expect(standIn.tokenRequests.length).toBe(before)
  })
})

describe('the loopback server under forged requests', () => {
  it('answers a request without the right state with 400 and keeps waiting for the real redirect', async () => {
    const t = terminal()
    const before = standIn.tokenRequests.length
    const tokens = await AnthropicOAuth.authorizeInteractive(standIn.config, {
      ...t,
      openBrowser: async (url) => {
        const callback = new URL(new URL(url).searchParams.get('redirect_uri')!.replace('//localhost:', '//127.0.0.1:'))
        // A web page pokes the port: a forged code, a missing state, an error without the state.
        for (const query of ['?code=forged&state=wrong', '?code=forged', '?error=access_denied']) {
          expect((await fetch(`${callback.href}${query}`)).status).toBe(400)
        }
        await standIn.approve(url)
      },
    })
    expect(tokens.accessToken).toBeTruthy()
    expect(standIn.tokenRequests.length).toBe(before + 1) // only the real code was spent
  })

  it('an end of input does not end a login whose loopback server can still receive the redirect', async () => {
    const t = terminal()
    const tokens = await AnthropicOAuth.authorizeInteractive(standIn.config, {
      ...t,
      openBrowser: async (url) => {
        t.input.end() // `login </dev/null`
        await new Promise((resolve) => setTimeout(resolve, 50))
        await standIn.approve(url)
      },
    })
    expect(tokens.accessToken).toBeTruthy()
  })

  it('an already-aborted signal rejects at once, before anything listens or prints', async () => {
    const t = terminal()
    const signal = AbortSignal.abort(new Error('cancelled by the caller'))
    await expect(AnthropicOAuth.authorizeInteractive(standIn.config, { ...t, signal, timeoutMs: 60_000 })).rejects.toThrow('cancelled by the caller')
    expect(t.printed()).toBe('')
  })
})

describe('authorizeInteractive with a generic server', () => {
  it('catches the loopback redirect of a generic server, with nothing to paste', async () => {
    const t = terminal()
    const tokens = await AnthropicOAuth.authorizeInteractive(oidc.config, {
      ...t,
      // The "browser": logs in and consents, then follows the redirect to the local listener.
      openBrowser: async (url) => {
        expect(new URL(new URL(url).searchParams.get('redirect_uri')!).port).not.toBe('')
        const callback = await oidc.authorize(url)
        const res = await fetch(callback)
        expect(await res.text()).toContain('Signed in')
      },
    })
    expect(tokens.refreshToken).toBeTruthy()
    expect(t.printed()).toContain('Waiting for the browser')
  })

  it('still accepts a pasted callback URL while listening on loopback', async () => {
    const t = terminal()
    const tokens = await AnthropicOAuth.authorizeInteractive(oidc.config, {
      ...t,
      openBrowser: async (url) => {
        // The browser is on another machine: the user copies the URL it failed to load.
        const callback = await oidc.authorize(url)
        t.input.write(`${callback}\n`)
      },
    })
    expect(tokens.accessToken).toBeTruthy()
  })

  it('fails with a typed error when the input ends without a code and nothing listens for the redirect', async () => {
    const t = terminal()
    const login = AnthropicOAuth.authorizeInteractive(standIn.config, { ...t, mode: 'manual', openBrowser: () => void t.input.end() })
    await expect(login).rejects.toMatchObject({ code: 'OAUTH_INVALID_AUTH_CODE' })
  })

  it('times out with its own code when nobody signs in', async () => {
    const t = terminal()
    const login = AnthropicOAuth.authorizeInteractive(standIn.config, { ...t, mode: 'manual', openBrowser: false, timeoutMs: 50 })
    await expect(login).rejects.toMatchObject({ code: 'OAUTH_LOGIN_TIMEOUT' })
  })
})

describe('canOpenBrowser', () => {
  it('never over SSH, and on Linux only with a display', () => {
    expect(canOpenBrowser({ SSH_CONNECTION: '1 2 3 4', DISPLAY: ':0' }, 'linux')).toBe(false)
    expect(canOpenBrowser({ SSH_TTY: '/dev/pts/0' }, 'darwin')).toBe(false)
    expect(canOpenBrowser({}, 'linux')).toBe(false)
    expect(canOpenBrowser({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe(true)
    expect(canOpenBrowser({}, 'darwin')).toBe(true)
  })
})

describe('browserCommand: a URL from the network never reaches a shell', () => {
  const hostile = 'https://id.example/auth?client_id=x&calc&state="a b"|whoami'
  it.each(['win32', 'darwin', 'linux'] as const)('%s: the URL is one argument of a program run without a shell, quotes and spaces encoded', (platform) => {
    const [command, args] = browserCommand(hostile, platform)!
    expect(command).not.toMatch(/^(cmd|powershell|sh|bash)$/i)
    expect(args.at(-1)).toBe(new URL(hostile).href)
    expect(args.at(-1)).toContain('&calc&')
    expect(args.at(-1)).not.toMatch(/[" ]/)
    if (platform === 'win32') expect([command, ...args.slice(0, -1)]).toEqual(['rundll32', 'url.dll,FileProtocolHandler'])
  })

  it('opens nothing but http(s)', () => {
    expect(browserCommand('javascript:alert(1)', 'win32')).toBeNull()
    expect(browserCommand('file:///etc/passwd', 'linux')).toBeNull()
    expect(browserCommand('not a url', 'darwin')).toBeNull()
  })
})
