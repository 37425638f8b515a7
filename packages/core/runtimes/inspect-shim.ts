// Stands in for `node:util` where there is none (Chromium, workerd), for tests that check what
// `inspect` would show. Like Node's, it calls an object's inspect hook when it has one, and
// otherwise shows every own property, hidden and symbol-keyed ones too, to the given depth.
const CUSTOM = Symbol.for('nodejs.util.inspect.custom')

export function inspect(value: unknown, options: { depth?: number } = {}, seen = new Set<unknown>()): string {
  const depth = options.depth ?? 2
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value !== 'object' && typeof value !== 'function') return String(value)
  if (value === null) return 'null'
  if (seen.has(value)) return '[Circular]'
  seen.add(value)
  const hook = (value as Record<symbol, unknown>)[CUSTOM]
  if (typeof hook === 'function') {
    const shown = hook.call(value, depth, options, inspect)
    return typeof shown === 'string' ? shown : inspect(shown, { depth }, seen)
  }
  if (depth < 0) return '[Object]'
  const keys: (string | symbol)[] = Reflect.ownKeys(value)
  const parts = keys.map((key) => {
    const descriptor = Object.getOwnPropertyDescriptor(value, key)
    const shown = descriptor && 'value' in descriptor ? inspect(descriptor.value, { depth: depth - 1 }, seen) : '[Getter]'
    return `${String(key)}: ${shown}`
  })
  if (value instanceof Error) parts.unshift(String(value.stack ?? value.message))
  return `{ ${parts.join(', ')} }`
}
