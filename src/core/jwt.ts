/**
 * JWS compact tokens (RFC 7515, RFC 7519) for Tollgate's own tokens: the shared vocabulary
 * and the signer. Threat: a token whose header lets its bearer choose how it is checked
 * (algorithm substitution, RFC 8725 §2.1; key injection, §3.10). So the signer writes the
 * fixed header {alg, typ, kid} and nothing else, and the verifier (jwt-verify.ts) takes the
 * algorithm and key only from its own configuration. Crypto is injected (node:crypto in the
 * server, WebCrypto at the edge), so this module stays standard JS.
 */
import { encodeBase64url, utf8 } from './base64url.js';

export type JwtAlgorithm = 'EdDSA' | 'ES256' | 'HS256';

/**
 * Exact signature sizes. ES256 is the raw 64-byte R||S of RFC 7518 §3.4; a DER signature
 * (70–72 bytes) is a different encoding of the same value and is refused by length.
 */
export const SIGNATURE_BYTES: Readonly<Record<JwtAlgorithm, number>> = { EdDSA: 64, ES256: 64, HS256: 32 };

export function isJwtAlgorithm(value: unknown): value is JwtAlgorithm {
  return typeof value === 'string' && Object.hasOwn(SIGNATURE_BYTES, value);
}

/** The injected primitives. `key` is an opaque runtime handle: a KeyObject or a CryptoKey. */
export interface JwtCrypto {
  sign(alg: JwtAlgorithm, key: unknown, data: Uint8Array): Promise<Uint8Array>;
  verify(alg: JwtAlgorithm, key: unknown, data: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

/** A key bound to exactly one algorithm, so a header can never pick another use of it. */
export interface JwtKey {
  readonly kid: string;
  readonly alg: JwtAlgorithm;
  readonly key: unknown;
}

const MAX_KID_LENGTH = 128;

/**
 * Key ids are Tollgate's own short labels: visible ASCII only. Anything else (NUL, path or
 * SQL fragments with spaces, objects, 100 000 chars) never reaches a key lookup.
 */
export function isValidKid(kid: unknown): kid is string {
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) return false;
  for (let i = 0; i < kid.length; i++) {
    const c = kid.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** Signs `claims` under the header {alg, typ, kid}. Throws only on a misconfigured key. */
export async function signJwt(
  opts: { readonly typ: string; readonly key: JwtKey },
  claims: Record<string, unknown>,
  crypto: JwtCrypto,
): Promise<string> {
  const { alg, kid } = opts.key;
  // A token the verifier would refuse is a configuration error; fail loudly at issue time.
  if (!isJwtAlgorithm(alg)) throw new TypeError('signJwt: unsupported alg');
  if (!isValidKid(kid)) throw new TypeError('signJwt: kid must be 1-128 visible ASCII characters');
  const header = encodeBase64url(utf8(JSON.stringify({ alg, typ: opts.typ, kid })));
  const payload = encodeBase64url(utf8(JSON.stringify(claims)));
  const signingInput = `${header}.${payload}`;
  const signature = await crypto.sign(alg, opts.key.key, utf8(signingInput));
  if (signature.length !== SIGNATURE_BYTES[alg]) throw new TypeError(`signJwt: ${alg} signature has the wrong size`);
  return `${signingInput}.${encodeBase64url(signature)}`;
}
