// The client is tested against both ends of its peer range of @anthropic-ai/sdk: the locked
// newest release, and (OAUTH_SDK=lowest, a second run of these tests in scripts/test.mjs) the
// lowest release the range allows. This checks that each run really has the release it names.
import { readFileSync } from 'node:fs'
import { VERSION } from '@anthropic-ai/sdk/version'
import { expect, it } from 'vitest'

const json = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as Record<string, Record<string, string>>

it('runs against the SDK release this run names: the lowest of the peer range, or the locked newest', () => {
  const client = json('../package.json')
  const lowest = client.peerDependencies!['@anthropic-ai/sdk']!.replace(/^[\^~>=]+/, '')
  const locked = json('../node_modules/@anthropic-ai/sdk/package.json').version as unknown as string
  expect(VERSION).toBe(process.env.OAUTH_SDK === 'lowest' ? lowest : locked)
})
