// The authorization pages: the Console's on platform.claude.com, the subscription one on claude.com/cai.
import { DEFAULT_SCOPES } from '../../../anthropic/src/preset.js'
import { ANT_CLI_CLIENT_ID, ANT_CLI_PASTE_PAGE, ANT_CLI_SCOPES, CLAUDE_CODE_CLIENT_ID, DEFAULT_WORKSPACE, LOOPBACK_REDIRECT, PASTE_PAGE, type StandInHost, type State } from './state.js'

/** The authorization page's checks, then a code bound to this request. */
export function authorize(s: State, host: StandInHost, query: URLSearchParams): { status: number; error?: string; code?: string } {
  const client = query.get('client_id') ?? ''
  const antCli = client === ANT_CLI_CLIENT_ID
  // Anthropic's CLI signs in at the Console's page only.
  if (client !== CLAUDE_CODE_CLIENT_ID && !(antCli && host === 'platform')) return { status: 400, error: 'Invalid OAuth Request: unknown client' }
  if (query.get('response_type') !== 'code') return { status: 400, error: 'Invalid OAuth Request: response_type must be code' }
  if (!query.get('code_challenge')) return { status: 400, error: 'Invalid OAuth Request: Missing code_challenge parameter' } // anthropics/claude-code#20728
  if (query.get('code_challenge_method') !== 'S256') return { status: 400, error: 'Invalid OAuth Request: code_challenge_method must be S256' }
  const redirectUri = query.get('redirect_uri') ?? ''
  // Anthropic's CLI derives its paste page from the Console it signs in at: this stand-in's own, or the real one.
  const pastePages = antCli ? [ANT_CLI_PASTE_PAGE, `${s.urls.platform}/oauth/code/callback?app=anthropic-cli`] : [PASTE_PAGE]
  if (!pastePages.includes(redirectUri) && !LOOPBACK_REDIRECT.test(redirectUri)) return { status: 400, error: 'Invalid OAuth Request: redirect_uri not supported by client' }
  if (antCli && !(query.get('scope') ?? '').split(' ').every((s) => ANT_CLI_SCOPES.includes(s))) return { status: 400, error: `Invalid OAuth Request: Unknown scope` }
  const state = query.get('state')
  if (!state) return { status: 400, error: 'Invalid OAuth Request: Missing state parameter' }
  s.standIn.authorizeRequests.push({ host, query: Object.fromEntries(query) })
  // The session's account, unless the page was asked to let the user choose.
  const chosen = s.choices.shift()
  const email = query.get('prompt') === 'select_account' ? (chosen ?? query.get('login_hint') ?? s.standIn.browserAccount) : s.standIn.browserAccount
  if (!s.standIn.accounts.has(email)) return { status: 400, error: `No such account: ${email}` }
  const code = s.standIn.issueCode(query.get('code_challenge')!, state, redirectUri, query.get('scope') ?? DEFAULT_SCOPES, email)
  const pending = s.codes.get(code)!
  pending.client = client
  // The workspace asked for, else the one the Console's picker gives.
  if (antCli) pending.workspace = query.get('workspace_id') ? { id: query.get('workspace_id')!, name: 'Named' } : DEFAULT_WORKSPACE
  return { status: 200, code }
}

