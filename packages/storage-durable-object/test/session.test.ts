// TokenSession when the object cannot answer in its protocol: unreachable, reset by a deploy,
// or in front of something that is not a TokenSessionObject. (The object's own answers are
// tested in workerd, in durable-object.test.ts.)
import { inspect } from 'node:util'
import { OAUTH_INVALID_GRANT, OAuthFlowError, TOKEN_STORE_UNAVAILABLE, TokenStorageError } from '@oauth/core'
import { describe, expect, it } from 'vitest'
import { TokenSession, TokenSessionError } from '../src/index.js'

const stub = (answer: () => Promise<Response>) => ({ fetch: answer })

describe('TokenSession', () => {
  it('an object that cannot be reached (reset by a deploy, overloaded) is TOKEN_STORE_UNAVAILABLE with the cause kept', async () => {
    const reset = Object.assign(new Error('Durable Object reset because its code was updated.'), { retryable: true })
    const err = await new TokenSession(stub(() => Promise.reject(reset))).getAccessToken().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TokenStorageError)
    expect(err).toMatchObject({ code: TOKEN_STORE_UNAVAILABLE, cause: reset })
    expect((err as Error).message).toContain('Durable Object reset because its code was updated')
  })

  it('an answer that is not the object protocol (an HTML error page) is TOKEN_STORE_UNAVAILABLE, not a SyntaxError', async () => {
    const page = () => Promise.resolve(new Response('<html>Error 1101</html>', { status: 500, headers: { 'content-type': 'text/html' } }))
    const err = await new TokenSession(stub(page)).refresh().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TokenStorageError)
    expect(err).toMatchObject({ code: TOKEN_STORE_UNAVAILABLE })
    expect((err as Error).message).toContain('POST /access-token')
  })

  it('a JSON answer with a failing status and no error in it is still an error, not a result', async () => {
    const odd = () => Promise.resolve(Response.json({ accessToken: 'looks-valid' }, { status: 503 }))
    await expect(new TokenSession(stub(odd)).getAccessToken()).rejects.toMatchObject({ code: TOKEN_STORE_UNAVAILABLE })
  })

  it('rebuilds the object errors by class: flow and storage errors as such, a refused refresh as TokenSessionError', async () => {
    const answer = (error: object) => () => Promise.resolve(Response.json({ error }, { status: 409 }))
    const grant = await new TokenSession(stub(answer({ name: 'OAuthHttpError', code: OAUTH_INVALID_GRANT, message: 'log in again', status: 400, retryable: false })))
      .getAccessToken()
      .catch((e: unknown) => e)
    expect(grant).toBeInstanceOf(TokenSessionError)
    expect(grant).toMatchObject({ code: OAUTH_INVALID_GRANT, remoteName: 'OAuthHttpError', status: 400, retryable: false, retryAfterMs: undefined, message: 'log in again' })
    const flow = await new TokenSession(stub(answer({ name: 'OAuthFlowError', code: 'X', message: 'm' }))).getAccessToken().catch((e: unknown) => e)
    expect(flow).toBeInstanceOf(OAuthFlowError)
    const storage = await new TokenSession(stub(answer({ name: 'TokenStorageError', code: TOKEN_STORE_UNAVAILABLE, message: 'm' }))).status().catch((e: unknown) => e)
    expect(storage).toBeInstanceOf(TokenStorageError)
    expect(inspect(grant)).toContain('OAUTH_INVALID_GRANT')
  })
})
