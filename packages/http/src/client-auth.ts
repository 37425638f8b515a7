import { ERR_INVALID_ARG_VALUE, invalidArgument, type ResolvedOAuthConfig } from '@oauth/core'
import type * as oauth from 'oauth4webapi'

/** A private JWK imported once per key object: every refresh signs with the same CryptoKey. */
const imported = new WeakMap<object, Promise<oauth.PrivateKey>>()

/**
 * The Web Crypto algorithm for a private JWK, in the forms oauth4webapi signs with: RSA with
 * `alg` RS256 (the default) or PS256, EC P-256 / P-384, OKP Ed25519.
 */
function algorithmOf(jwk: JsonWebKey): RsaHashedImportParams | EcKeyImportParams | Algorithm | undefined {
  if (jwk.kty === 'RSA') {
    if (jwk.alg === undefined || jwk.alg === 'RS256') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
    if (jwk.alg === 'PS256') return { name: 'RSA-PSS', hash: 'SHA-256' }
    return undefined
  }
  if (jwk.kty === 'EC' && (jwk.crv === 'P-256' || jwk.crv === 'P-384')) return { name: 'ECDSA', namedCurve: jwk.crv }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return { name: 'Ed25519' }
  return undefined
}

function signingKey(key: CryptoKey | JsonWebKey): Promise<oauth.PrivateKey> {
  if (typeof CryptoKey !== 'undefined' && key instanceof CryptoKey) return Promise.resolve({ key })
  let pending = imported.get(key)
  if (!pending) {
    const jwk = key as JsonWebKey & { kid?: string }
    const algorithm = algorithmOf(jwk)
    // The messages name the key's type, never its material.
    if (!algorithm || typeof jwk.d !== 'string') {
      return Promise.reject(
        invalidArgument(
          ERR_INVALID_ARG_VALUE,
          `OAuth config \`clientPrivateKey\` must be a CryptoKey or a private JWK (RSA RS256/PS256, EC P-256/P-384 or OKP Ed25519, with its private part); got ${jwk.kty ?? 'no kty'}${jwk.crv ? ` ${jwk.crv}` : ''}${jwk.alg ? ` ${jwk.alg}` : ''}${typeof jwk.d === 'string' ? '' : ' without a private part'}.`,
        ),
      )
    }
    // Only the fields of the key itself: `key_ops`/`ext` from a key store must not block the import.
    const { key_ops: _ops, ext: _ext, use: _use, ...material } = jwk
    pending = crypto.subtle.importKey('jwk', material, algorithm, false, ['sign']).then(
      (cryptoKey) => ({ key: cryptoKey, kid: jwk.kid }),
      (err: unknown) => {
        imported.delete(key)
        throw invalidArgument(ERR_INVALID_ARG_VALUE, `OAuth config \`clientPrivateKey\` could not be imported (${(err as Error)?.name ?? 'error'}): check that it is a private key of the type it says.`)
      },
    )
    imported.set(key, pending)
  }
  return pending
}

/**
 * `Authorization: Basic` with the client ID and secret form-encoded first (RFC 6749 §2.3.1), the
 * way WHATWG URLSearchParams encodes: letters, digits and `*-._` stay as they are. oauth4webapi
 * 3.8.8's `ClientSecretBasic` also escapes `-`, `.`, `_`, `~` and more, and a server that reads
 * the user name without decoding it then sees another client: Glewlwyd 2.7.5 refuses
 * `glw%2Dbasic` as unauthorized_client. Encoded this way, IDs and secrets made of those
 * characters (nearly all) are sent as they are, which servers that decode read the same.
 */
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2)

function basic(clientId: string, secret: string): oauth.ClientAuth {
  const credentials = btoa(`${formEncode(clientId)}:${formEncode(secret)}`)
  return (_as, _client, _body, headers) => {
    headers.set('authorization', `Basic ${credentials}`)
  }
}

/**
 * Everything sent that a server may echo in an error, in every form it was sent or may be shown:
 * as given, form-encoded (`+`, `%2F`), percent-encoded, and the client's `Authorization: Basic`
 * credentials (their decoded `id:secret` holds the secret as given). Longest first, so a form is
 * not cut apart by a shorter one. For `sanitizeText`'s `secrets`.
 */
export function sentForms(config: Pick<ResolvedOAuthConfig, 'clientId' | 'clientSecret'>, sent: readonly (string | undefined)[] = []): string[] {
  const forms = new Set<string>()
  for (const value of [...sent, config.clientSecret]) {
    if (!value) continue
    forms.add(value).add(formEncode(value)).add(encodeURIComponent(value))
  }
  if (config.clientSecret) forms.add(btoa(`${formEncode(config.clientId)}:${formEncode(config.clientSecret)}`))
  return [...forms].sort((a, b) => b.length - a.length)
}

/**
 * How a request authenticates the client, as the config says (`clientAuthMethod`): nothing but
 * `client_id` for a public client, the secret in `Authorization: Basic` or in the body, or a
 * signed assertion (RFC 7523) for `private_key_jwt`.
 */
export async function clientAuthentication(o: typeof import('oauth4webapi'), config: ResolvedOAuthConfig): Promise<oauth.ClientAuth> {
  switch (config.clientAuthMethod) {
    case 'client_secret_basic':
      return basic(config.clientId, config.clientSecret!)
    case 'client_secret_post':
      return o.ClientSecretPost(config.clientSecret!)
    case 'private_key_jwt':
      return o.PrivateKeyJwt(await signingKey(config.clientPrivateKey!))
    default:
      return o.None()
  }
}
