// LISTEN/NOTIFY: one listening connection per pool and table, however many stores (logins)
// subscribe, each told only of its own key's changes made by other holders.
import type { TokenStoreChange } from '@oauth/core'
import type { PostgresClientLike, PostgresPoolLike } from './sql.js'

interface Subscriber {
  from: string
  listener: (change: TokenStoreChange) => void
}

/** What a save or a removal tells the other holders: the key, the change, and who made it. */
export function notice(key: string, from: string, change: TokenStoreChange): string {
  return JSON.stringify({ key, from, change })
}

const RECONNECT_MS = 500

class Changes {
  readonly #subscribers = new Map<string, Set<Subscriber>>()
  #client: PostgresClientLike | undefined
  #opening = false
  #watch: ReturnType<typeof setInterval> | undefined

  constructor(
    readonly pool: PostgresPoolLike,
    readonly channel: string,
  ) {}

  subscribe(key: string, from: string, listener: (change: TokenStoreChange) => void): () => void {
    const subscriber = { from, listener }
    let set = this.#subscribers.get(key)
    if (!set) this.#subscribers.set(key, (set = new Set()))
    set.add(subscriber)
    this.#open(false)
    return () => {
      set.delete(subscriber)
      if (set.size === 0 && this.#subscribers.get(key) === set) this.#subscribers.delete(key)
      if (this.#subscribers.size === 0) this.#close()
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

  readonly #onError = () => this.#lost()

  /** Listens on a connection of the pool's own; after a lost one, every subscriber re-reads (changes may have been missed). */
  #open(reconnecting: boolean): void {
    if (this.#client || this.#opening || this.#ending()) return
    this.#opening = true
    this.pool.connect().then(
      async (client) => {
        client.on?.('error', this.#onError)
        client.on?.('notification', this.#onNotification)
        // The listening connection never keeps a process alive (node-postgres's socket, unref'd).
        ;(client as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.()
        this.#client = client
        try {
          await client.query(`LISTEN "${this.channel}"`)
        } catch {
          return this.#lost()
        } finally {
          this.#opening = false
        }
        if (this.#subscribers.size === 0) return this.#close()
        // The pool's end() waits for every checked-out connection: this one returns as it starts.
        this.#watch ??= setInterval(() => this.#ending() && this.#close(), 250)
        ;(this.#watch as { unref?: () => void }).unref?.()
        if (reconnecting) this.#tell(undefined, undefined, 'saved')
      },
      () => {
        this.#opening = false
        this.#retry()
      },
    )
  }

  #ending(): boolean {
    return (this.pool as { ending?: boolean }).ending === true
  }

  #retry(): void {
    if (this.#subscribers.size === 0 || this.#ending()) return
    const timer = setTimeout(() => this.#open(true), RECONNECT_MS)
    ;(timer as { unref?: () => void }).unref?.()
  }

  #lost(): void {
    this.#release(true)
    this.#retry()
  }

  #close(): void {
    clearInterval(this.#watch)
    this.#watch = undefined
    this.#release(false)
  }

  #release(destroy: boolean): void {
    const client = this.#client
    if (!client) return
    this.#client = undefined
    client.off?.('notification', this.#onNotification)
    if (destroy) {
      client.off?.('error', this.#onError)
      return client.release(true)
    }
    client.query(`UNLISTEN "${this.channel}"`).then(
      () => (client.off?.('error', this.#onError), client.release()),
      () => (client.off?.('error', this.#onError), client.release(true)),
    )
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
