import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sampleTokens } from '@oauth/test-utils'
import { afterAll, describe, expect, it } from 'vitest'
import { fileLogins, keyFor, memoryLogins } from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'oauth-mcp-logins-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('keyFor', () => {
  it('is stable, file-safe, names the host, and differs for another issuer or resource', async () => {
    const a = await keyFor('https://as.example.com', 'https://mcp.example.com/mcp')
    expect(a).toBe(await keyFor('https://as.example.com', 'https://mcp.example.com/mcp'))
    expect(a).toMatch(/^as\.example\.com-[0-9a-f]{16}$/)
    expect(await keyFor('https://as.example.com', 'https://mcp.example.com/other')).not.toBe(a)
    expect(await keyFor('https://as2.example.com', 'https://mcp.example.com/mcp')).not.toBe(a)
    expect(await keyFor('../../etc/passwd')).toMatch(/^login-[0-9a-f]{16}$/)
  })
})

describe('fileLogins', () => {
  it('keeps each login in its own 0600 file and records beside them; one login cleared leaves the other', async () => {
    const logins = fileLogins(join(dir, 'a'))
    const one = logins.tokens({ key: 'one', issuer: 'https://as', resource: 'https://r1' })
    const two = logins.tokens({ key: 'two', issuer: 'https://as', resource: 'https://r2' })
    await one.save(sampleTokens(1))
    await two.save(sampleTokens(2))
    await logins.write('client-x', { clientId: 'abc', clientSecret: 'shh' })
    for (const file of readdirSync(join(dir, 'a'))) expect(statSync(join(dir, 'a', file)).mode & 0o777).toBe(0o600)
    expect(await logins.read('client-x')).toEqual({ clientId: 'abc', clientSecret: 'shh' })
    await one.clear()
    expect(await one.load()).toBeNull()
    expect(await two.load()).not.toBeNull()
  })

  it('a record that is missing or corrupt reads as undefined (it is found or made again), never as a crash', async () => {
    const logins = fileLogins(join(dir, 'b'))
    expect(await logins.read('nothing')).toBeUndefined()
    await logins.write('broken', {})
    writeFileSync(join(dir, 'b', 'broken.json'), '{ not json')
    expect(await logins.read('broken')).toBeUndefined()
  })

  it('memoryLogins hands out one store per key, and copies records', async () => {
    const logins = memoryLogins()
    const login = { key: 'k', issuer: 'https://as', resource: 'https://r' }
    expect(logins.tokens(login)).toBe(logins.tokens(login))
    const record = { a: 1 }
    await logins.write('r', record)
    record.a = 2
    expect(await logins.read('r')).toEqual({ a: 1 })
  })
})
