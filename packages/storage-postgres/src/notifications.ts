// LISTEN/NOTIFY: one listening connection per pool and table, however many stores (logins)
// subscribe, each told only of its own key's changes made by other holders.
import type { TokenStoreChange } from '@oauth/core'
import type { PostgresPoolLike } from './sql.js'

/** A connection of its own for LISTEN: node-postgres's `Client`. */
interface ListenerClient {
  connect(): Promise<unknown>
  query(text: string): Promise<unknown>
  end(): Promise<unknown>
  on(event: 'error', listener: (err: Error) => void): unknown
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown
  connection?: { stream?: { unref?: () => void } }
}

/**
 * A client made like the pool's own (node-postgres's `pool.Client` and `pool.options`), outside
 * the pool: so that `pool.end()` never waits for it, and its socket, unref'd, never keeps a
 * process alive. A pool that is not node-postgres's has no listener: the store then tells of no
 * change, and waiters find new tokens under the lock instead.
 */
function listenerFor(pool: PostgresPoolLike): ListenerClient | undefined {
  const { Client, options } = pool as { Client?: new (options: unknown) => ListenerClient; options?: unknown }
  return typeof Client === 'function' && options ? new Client(options) : undefined
}

interface Subscriber {
  from: string
  listener: (change: TokenStoreChange) => void
}

/** What a save or a removal tells the other holders: the key, the change, and who made it. */
export function notice(key: string, from: string, change: TokenStoreChange): string {
  return JSON.stringify({ key, from, change })
}

const RECONNECT_MS = 500
/**
 * How long the listening connection stays after its last subscriber left: a program that makes a
 * manager per request would otherwise reconnect for each, and miss what was told meanwhile.
 */
const LINGER_MS = 10_000

class Changes {
  readonly #subscribers = new Map<string, Set<Subscriber>>()
  #client: ListenerClient | undefined
  #opening = false
  #linger: ReturnType<typeof setTimeout> | undefined

  constructor(
    readonly pool: PostgresPoolLike,
    readonly channel: string,
  ) {}

  subscribe(key: string, from: string, listener: (change: TokenStoreChange) => void): () => void {
    const subscriber = { from, listener }
    let set = this.#subscribers.get(key)
    if (!set) this.#subscribers.set(key, (set = new Set()))
    set.add(subscriber)
    clearTimeout(this.#linger)
    this.#open(false)
    return () => {
      set.delete(subscriber)
      if (set.size === 0 && this.#subscribers.get(key) === set) this.#subscribers.delete(key)
      if (this.#subscribers.size > 0) return
      clearTimeout(this.#linger)
      this.#linger = setTimeout(() => this.#subscribers.size === 0 && this.#close(), LINGER_MS)
      ;(this.#linger as { unref?: () => void }).unref?.()
    }
  }

  #tell(key: string | undefined, from: string | undefined, change: TokenStoreChange): void {
    const sets = key === undefined ? [...this.#subscribers.values()] : [this.#subscribers.get(key)]
    for (const set of sets) for (const s of set ?? []) if (s.from !== from) s.listener(change)
  }

  readonly #onNotification = (message: { channel: string; payload?: string }) => {
    if (message.channel !== this.channel) return
    try {
      const { key, from, change } = JSON.parse(message.payload ?? '') as { key?: unknown; from?: unknown; change?: unknown }
      if (typeof key === 'string') this.#tell(key, String(from), change === 'cleared' ? 'cleared' : 'saved')
    } catch {
      // not one of ours
    }
  }

  /** Listens; after a lost connection, every subscriber re-reads (changes may have been missed meanwhile). */
  #open(reconnecting: boolean): void {
    if (this.#client || this.#opening) return
    const client = listenerFor(this.pool)
    if (!client) return
    this.#opening = true
    this.#client = client
    client.on('error', () => this.#lost(client))
    client.on('notification', this.#onNotification)
    client
      .connect()
      .then(() => {
        client.connection?.stream?.unref?.()
        return client.query(`LISTEN "${this.channel}"`)
      })
      .then(
        () => {
          this.#opening = false
          if (this.#client !== client) return
          if (reconnecting) this.#tell(undefined, undefined, 'saved')
        },
        () => {
          this.#opening = false
          this.#lost(client)
        },
      )
  }

  #lost(client: ListenerClient): void {
    if (this.#client !== client) return
    this.#close()
    if (this.#subscribers.size === 0) return
    const timer = setTimeout(() => this.#open(true), RECONNECT_MS)
    ;(timer as { unref?: () => void }).unref?.()
  }

  #close(): void {
    const client = this.#client
    this.#client = undefined
    client?.end().catch(() => undefined)
  }
}

const registry = new WeakMap<PostgresPoolLike, Map<string, Changes>>()

/** The one listener of `channel` on `pool`. */
export function changesFor(pool: PostgresPoolLike, channel: string): Changes {
  let byChannel = registry.get(pool)
  if (!byChannel) registry.set(pool, (byChannel = new Map()))
  let changes = byChannel.get(channel)
  if (!changes) byChannel.set(channel, (changes = new Changes(pool, channel)))
  return changes
}
