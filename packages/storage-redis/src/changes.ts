// Pub/sub: one subscriber connection per client (a duplicate of it), however many stores
// (logins) subscribe, each told only of its own key's changes made by other holders.
import type { TokenStoreChange } from '@oauth/core'

/** What the store needs of a subscriber connection, for ioredis and node-redis alike. */
interface Subscriber {
  listen(channel: string): Promise<void>
  unlisten(channel: string): void
  end(): void
}

type Deliver = (channel: string, message: string) => void
/** Called when the connection is back after a loss: what was published meanwhile was missed. */
type Reconnected = () => void

/** An ioredis duplicate in subscriber mode; its socket, unref'd, never keeps a process alive. */
function ioredisSubscriber(client: { duplicate(): unknown }, deliver: Deliver, reconnected: Reconnected): Subscriber {
  const sub = client.duplicate() as {
    subscribe(channel: string): Promise<unknown>
    unsubscribe(channel: string): Promise<unknown>
    disconnect(): void
    on(event: string, listener: (...args: never[]) => void): unknown
    stream?: { unref?: () => void }
  }
  sub.on('message', ((channel: string, message: string) => deliver(channel, message)) as never)
  let ready = false
  sub.on('ready', () => {
    sub.stream?.unref?.()
    if (ready) reconnected()
    ready = true
  })
  sub.on('error', () => undefined) // it reconnects by itself; the store's own commands report outages
  return {
    listen: (channel) => sub.subscribe(channel).then(
      () => undefined,
      () => undefined,
    ),
    unlisten: (channel) => void sub.unsubscribe(channel).catch(() => undefined),
    end: () => sub.disconnect(),
  }
}

/** A node-redis (v4+) duplicate; `unref()` keeps it from holding a process open. */
function nodeRedisSubscriber(client: { duplicate(): unknown }, deliver: Deliver, reconnected: Reconnected): Subscriber {
  const sub = client.duplicate() as {
    connect(): Promise<unknown>
    subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>
    unsubscribe(channel: string): Promise<unknown>
    disconnect(): Promise<unknown>
    unref?(): void
    on(event: string, listener: (...args: never[]) => void): unknown
  }
  sub.on('error', () => undefined)
  let ready = false
  // node-redis has subscribed again by the time it says it is ready.
  sub.on('ready', () => {
    if (ready) reconnected()
    ready = true
  })
  const connected = sub.connect().then(() => sub.unref?.())
  connected.catch(() => undefined)
  // One listener for every channel: subscribing again (after a reconnection) does not add another.
  const onMessage = (message: string, from: string) => deliver(from, message)
  return {
    listen: (channel) => connected.then(() => sub.subscribe(channel, onMessage)).then(
      () => undefined,
      () => undefined,
    ),
    unlisten: (channel) => void connected.then(() => sub.unsubscribe(channel)).catch(() => undefined),
    end: () => void connected.then(() => sub.disconnect()).catch(() => undefined),
  }
}

interface Listener {
  from: string
  listener: (change: TokenStoreChange) => void
}

/**
 * How long a channel stays subscribed after its last listener left: a program that makes a
 * manager per request would otherwise subscribe again for each, and miss what was told meanwhile.
 */
const LINGER_MS = 10_000

class Changes {
  readonly #byChannel = new Map<string, Set<Listener>>()
  readonly #lingering = new Map<string, ReturnType<typeof setTimeout>>()
  #sub: Subscriber | undefined

  constructor(readonly open: (deliver: Deliver, reconnected: Reconnected) => Subscriber) {}

  subscribe(channel: string, from: string, listener: (change: TokenStoreChange) => void): () => void {
    const entry = { from, listener }
    clearTimeout(this.#lingering.get(channel))
    this.#lingering.delete(channel)
    let set = this.#byChannel.get(channel)
    if (!set) {
      this.#byChannel.set(channel, (set = new Set()))
      this.#sub ??= this.open(this.#deliver, this.#reconnected)
      void this.#sub.listen(channel)
    }
    set.add(entry)
    return () => {
      if (!set.delete(entry) || set.size > 0 || this.#byChannel.get(channel) !== set) return
      const timer = setTimeout(() => this.#leave(channel, set), LINGER_MS)
      ;(timer as { unref?: () => void }).unref?.()
      this.#lingering.set(channel, timer)
    }
  }

  #leave(channel: string, set: Set<Listener>): void {
    this.#lingering.delete(channel)
    if (set.size > 0 || this.#byChannel.get(channel) !== set) return
    this.#byChannel.delete(channel)
    this.#sub?.unlisten(channel)
    if (this.#byChannel.size === 0) {
      this.#sub?.end()
      this.#sub = undefined
    }
  }

  /**
   * The subscriber connection was lost and is back (Redis restarted, or ended a slow subscriber's
   * connection): once every channel is subscribed again, every listener is told its key may have
   * changed meanwhile, and its manager re-reads the store instead of using a rotated token.
   */
  readonly #reconnected: Reconnected = () => {
    const sub = this.#sub
    if (!sub) return
    const channels = [...this.#byChannel.keys()]
    void Promise.all(channels.map((channel) => sub.listen(channel))).then(() => {
      for (const channel of channels) for (const l of this.#byChannel.get(channel) ?? []) l.listener('saved')
    })
  }

  readonly #deliver: Deliver = (channel, message) => {
    try {
      const { from, change } = JSON.parse(message) as { from?: unknown; change?: unknown }
      for (const l of this.#byChannel.get(channel) ?? []) if (l.from !== from) l.listener(change === 'cleared' ? 'cleared' : 'saved')
    } catch {
      // not one of ours
    }
  }
}

const registry = new WeakMap<object, Changes>()

/**
 * The change listener shared by every store on `client`, or undefined for a client that cannot
 * subscribe (a bare command function): such a store tells of no change, and waiters find new
 * tokens under the lock instead.
 */
export function changesFor(client: unknown): Changes | undefined {
  if (typeof client !== 'object' || client === null || typeof (client as { duplicate?: unknown }).duplicate !== 'function') return undefined
  let changes = registry.get(client)
  if (!changes) {
    const duplicable = client as { duplicate(): unknown }
    const open = 'call' in client ? (d: Deliver, r: Reconnected) => ioredisSubscriber(duplicable, d, r) : (d: Deliver, r: Reconnected) => nodeRedisSubscriber(duplicable, d, r)
    registry.set(client, (changes = new Changes(open)))
  }
  return changes
}
