// What an account's `{ preset: 'anthropic' }` means is told by the program (`presets`): this
// package knows no server. An account is used only with the server it was made at.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ERR_INVALID_ARG_VALUE, type OAuthTokens } from '@oauth/core'
import { afterAll, expect, it } from 'vitest'
import { Accounts, describeServer, FileTokenStore } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'oauth-account-presets-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const preset = { clientId: 'preset-client', tokenUrl: 'https://auth.example.com/v1/oauth/token' }
const tokens: OAuthTokens = { accessToken: 'at-work', refreshToken: 'rt-work', expiresAt: Date.now() + 3_600_000, tokenType: 'Bearer', scope: 'user:inference' }

it('an account of a preset is used with that preset\'s server only, and refused where the program does not say what the preset is', async () => {
  const dir = join(root, 'home')
  await new Accounts({ dir }).add('work', 'file', { preset: 'anthropic' })
  await new FileTokenStore({ path: new Accounts({ dir }).tokenPath('work') }).save(tokens)

  await expect(new Accounts({ dir, presets: { anthropic: preset } }).store('work', { server: preset }).load()).resolves.toMatchObject({ accessToken: 'at-work' })
  await expect(new Accounts({ dir }).store('work', { server: preset }).load()).rejects.toMatchObject({
    name: 'TypeError',
    code: ERR_INVALID_ARG_VALUE,
    message: expect.stringContaining('belongs to the anthropic preset, which this program does not define'),
  })
  await expect(new Accounts({ dir, presets: { anthropic: preset } }).store('work', { server: { clientId: 'other', tokenUrl: 'https://other.example/token' } }).load()).rejects.toMatchObject({
    code: ERR_INVALID_ARG_VALUE,
    message: expect.stringContaining('belongs to the anthropic preset, not https://other.example (client other)'),
  })
  // Without a server to check against, the store is the account's, as before.
  await expect(new Accounts({ dir }).store('work').load()).resolves.toMatchObject({ accessToken: 'at-work' })
})

it('a preset is recorded by a plain name; anything else is refused before the list is written', async () => {
  const dir = join(root, 'names')
  for (const bad of ['../evil', '', 'Anthropic Preset', 42]) {
    await expect(new Accounts({ dir }).add('x', 'file', { preset: bad } as never)).rejects.toMatchObject({ name: 'TypeError', code: ERR_INVALID_ARG_VALUE })
  }
  expect((await new Accounts({ dir }).list()).accounts).toEqual([])
  expect(describeServer(preset, { anthropic: preset })).toBe('the anthropic preset')
  expect(describeServer(preset)).toBe('https://auth.example.com (client preset-client)')
})
