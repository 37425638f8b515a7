// The device authorization grant (RFC 8628), against scripted answers (msw).
import { getEventListeners } from 'node:events'
import { OAUTH_AUTHORIZATION_DENIED, OAUTH_DEVICE_AUTHORIZATION_ERROR, OAUTH_LOGIN_TIMEOUT, OAUTH_RESPONSE_LOST, OAUTH_UNSUPPORTED } from '@oauth/core'
import { HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { authorizeDevice, OAuthHttpError } from '../src/index.js'
import { base, good, ISSUER, scripted } from './fixtures/scripted-server.js'

const { record } = scripted()

describe('authorizeDevice', () => {
  const device = (extra: Record<string, unknown> = {}) => () =>
    HttpResponse.json({ device_code: 'dc-1', user_code: 'ABCD-EFGH', verification_uri: `${ISSUER}/activate`, expires_in: 30, interval: 1, ...extra })

  it('polls at the interval, 5 s slower after slow_down, until the tokens come', async () => {
    record(base.deviceAuthorizationUrl!, device())
    const times: number[] = []
    record(base.tokenUrl, (n) => {
      times.push(Date.now())
      if (n === 1) return HttpResponse.json({ error: 'authorization_pending' }, { status: 400 })
      if (n === 2) return HttpResponse.json({ error: 'slow_down' }, { status: 400 })
      return HttpResponse.json(good)
    })
    const shown: unknown[] = []
    const tokens = await authorizeDevice(base, { onUserCode: (code) => void shown.push(code) })
    expect(tokens.accessToken).toBe(good.access_token)
    expect(shown).toEqual([{ userCode: 'ABCD-EFGH', verificationUri: `${ISSUER}/activate`, verificationUriComplete: undefined, expiresAt: expect.any(Number) }])
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950)
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(5950) // 1 s + 5 s after slow_down
  }, 20_000)

  it.each([
    ['access_denied', OAUTH_AUTHORIZATION_DENIED],
    ['expired_token', OAUTH_LOGIN_TIMEOUT],
  ])('%s ends it as %s', async (error, code) => {
    record(base.deviceAuthorizationUrl!, device())
    record(base.tokenUrl, () => HttpResponse.json({ error }, { status: 400 }))
    await expect(authorizeDevice(base, { onUserCode: () => {} })).rejects.toMatchObject({ code })
  })

  it('a code that expires unapproved ends as OAUTH_LOGIN_TIMEOUT without another poll', async () => {
    record(base.deviceAuthorizationUrl!, device({ expires_in: 1, interval: 2 }))
    const polls = record(base.tokenUrl, () => HttpResponse.json({ error: 'authorization_pending' }, { status: 400 }))
    await expect(authorizeDevice(base, { onUserCode: () => {} })).rejects.toMatchObject({ code: OAUTH_LOGIN_TIMEOUT })
    expect(polls).toHaveLength(0)
  })

  it('an interval past setTimeout\'s range is no hot loop, and no wait runs past the code\'s expiry', async () => {
    record(base.deviceAuthorizationUrl!, device({ expires_in: 2, interval: 1e10 }))
    const polls = record(base.tokenUrl, () => HttpResponse.json({ error: 'authorization_pending' }, { status: 400 }))
    await expect(authorizeDevice(base, { onUserCode: () => {} })).rejects.toMatchObject({ code: OAUTH_LOGIN_TIMEOUT })
    expect(polls).toHaveLength(0)
  }, 10_000)

  it('a 30 s interval on a code that lives 2 s ends when the code does, not 30 s later', async () => {
    record(base.deviceAuthorizationUrl!, device({ expires_in: 2, interval: 30 }))
    record(base.tokenUrl, () => HttpResponse.json({ error: 'authorization_pending' }, { status: 400 }))
    await expect(authorizeDevice(base, { onUserCode: () => {} })).rejects.toMatchObject({ code: OAUTH_LOGIN_TIMEOUT })
  }, 10_000)

  it('an absurd expires_in is capped at an hour', async () => {
    record(base.deviceAuthorizationUrl!, device({ expires_in: 1e300 }))
    record(base.tokenUrl, () => HttpResponse.json(good))
    const shown: { expiresAt: number }[] = []
    await authorizeDevice(base, { onUserCode: (c) => void shown.push(c) })
    expect(shown[0]!.expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000)
  })

  it('a refusal of the device request has its own code, not the token endpoint\'s', async () => {
    record(base.deviceAuthorizationUrl!, () => HttpResponse.json({ error: 'unauthorized_client' }, { status: 400 }))
    await expect(authorizeDevice(base, { onUserCode: () => {} })).rejects.toMatchObject({ code: OAUTH_DEVICE_AUTHORIZATION_ERROR, status: 400, error: 'unauthorized_client' })
  })

  it('the caller\'s abort while it waits between polls is the typed error an abort during a request is, never a raw AbortError', async () => {
    record(base.deviceAuthorizationUrl!, device({ interval: 5 }))
    const polls = record(base.tokenUrl, () => HttpResponse.json(good))
    const caller = new AbortController()
    setTimeout(() => caller.abort(), 200)
    const err = await authorizeDevice(base, { onUserCode: () => {}, signal: caller.signal }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OAuthHttpError)
    expect(err).toMatchObject({ code: OAUTH_RESPONSE_LOST, message: expect.stringContaining('aborted by the caller') })
    expect(polls).toHaveLength(0)
  })

  it('polling adds no abort listener per poll to the caller\'s signal', async () => {
    record(base.deviceAuthorizationUrl!, device())
    record(base.tokenUrl, (n) => (n < 4 ? HttpResponse.json({ error: 'authorization_pending' }, { status: 400 }) : HttpResponse.json(good)))
    const caller = new AbortController()
    await authorizeDevice(base, { onUserCode: () => {}, signal: caller.signal })
    expect(getEventListeners(caller.signal, 'abort').length).toBeLessThanOrEqual(1)
  }, 20_000)

  it('without a device endpoint: OAUTH_UNSUPPORTED, nothing sent', async () => {
    await expect(authorizeDevice({ ...base, deviceAuthorizationUrl: undefined }, { onUserCode: () => {} })).rejects.toMatchObject({ code: OAUTH_UNSUPPORTED })
  })

  it('an answer without a user code or an http(s) page is refused before anything is shown', async () => {
    record(base.deviceAuthorizationUrl!, device({ verification_uri: 'javascript:alert(1)' }))
    const shown: unknown[] = []
    await expect(authorizeDevice(base, { onUserCode: (c) => void shown.push(c) })).rejects.toMatchObject({ code: OAUTH_DEVICE_AUTHORIZATION_ERROR })
    expect(shown).toEqual([])
  })

  it('makes the user code safe for a terminal, and takes Google\'s verification_url', async () => {
    record(base.deviceAuthorizationUrl!, device({ user_code: 'AB\u001b[2JCD', verification_uri: undefined, verification_url: 'https://www.google.com/device' }))
    record(base.tokenUrl, () => HttpResponse.json(good))
    const shown: { userCode: string; verificationUri: string }[] = []
    await authorizeDevice(base, { onUserCode: (c) => void shown.push(c) })
    expect(shown[0]!.userCode).not.toContain('\u001b')
    expect(shown[0]!.verificationUri).toBe('https://www.google.com/device')
  })
})

