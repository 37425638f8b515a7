import { PassThrough } from 'node:stream'
import { startAnthropicStandIn, startAuthorizationServer, type AnthropicStandIn, type AuthorizationServer } from '@oauth/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AnthropicOAuth, canOpenBrowser } from '../src/index.js'

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

describe('authorizeInteractive', () => {
  it('prints the URL, takes the pasted code#state, and exchanges it with the preset wire format', async () => {
    const t = terminal()
    const tokens = await AnthropicOAuth.authorizeInteractive(standIn.config, {
      ...t,
      // The "user": signs in on the printed URL and pastes what the callback page shows.
      openBrowser: (url) => {
        const params = new URL(url).searchParams
        const code = standIn.issueCode(params.get('code_challenge')!, params.get('state')!)
        t.input.write(`not-a-code\n  ${code}#${params.get('state')}  \n`)
      },
    })
    expect(tokens.account?.emailAddress).toBe('dev@example.com')
    expect(t.printed()).toContain('https://claude.ai/oauth/authorize?code=true')
    expect(t.printed()).toContain('Try again')
    const exchange = standIn.tokenRequests.at(-1)!
    expect(exchange.headers['content-type']).toBe('application/json')
    expect(Object.keys(exchange.body as object).sort()).toEqual(['client_id', 'code', 'code_verifier', 'grant_type', 'redirect_uri', 'state'])
  })

  it('refuses a pasted code from another login before spending it', async () => {
    const t = terminal()
    const login = AnthropicOAuth.authorizeInteractive(standIn.config, {
      ...t,
      openBrowser: (url) => {
        const params = new URL(url).searchParams
        t.input.write(`${standIn.issueCode(params.get('code_challenge')!, 'other')}#forged-state\n`)
      },
    })
    const before = standIn.tokenRequests.length
    await expect(login).rejects.toMatchObject({ code: 'OAUTH_STATE_MISMATCH' })
    expect(standIn.tokenRequests.length).toBe(before)
  })

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

  it('fails with a typed error when the input ends without a code', async () => {
    const t = terminal()
    const login = AnthropicOAuth.authorizeInteractive(standIn.config, { ...t, openBrowser: () => void t.input.end() })
    await expect(login).rejects.toMatchObject({ code: 'OAUTH_INVALID_AUTH_CODE' })
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
