// sdk-profile.ts (bundled and run with node by the tests): <API base URL> <duration ms> : the plain SDK with a user_oauth profile
// (ANTHROPIC_CONFIG_DIR, profile "bench"), calling the API until the time is up.
import { Anthropic } from '@anthropic-ai/sdk'

const [baseURL, duration] = process.argv.slice(2) as [string, string]
const client = new Anthropic({ profile: 'bench', baseURL, maxRetries: 0 })
const report = { calls: 0, failures: [] as { error: string }[], tokens: [] as string[], refreshes: 0 }
const end = Date.now() + Number(duration)
while (Date.now() < end) {
  try {
    await client.models.list()
    report.calls++
  } catch (err) {
    report.failures.push({ error: String((err as Error).message).slice(0, 80) })
  }
  await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150))
}
console.log(JSON.stringify(report))
