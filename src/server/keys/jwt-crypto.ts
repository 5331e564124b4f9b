/**
 * node:crypto behind core's JwtCrypto port. Threat: a key used with the wrong algorithm (the
 * classic HS256-keyed-with-a-public-key confusion, weak HMAC secrets, an ECDSA signature in
 * DER where JWS needs raw R||S). Every call checks that the KeyObject fits the algorithm and
 * throws otherwise: a mismatch here is a configuration bug, never a token to accept.
 * Synchronous one-shot calls: faster per token than the thread-pool variants (docs/BENCHMARKS.md).
 */
import { createHmac, generateKeyPairSync, KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import type { JwtAlgorithm, JwtCrypto } from '../../core/jwt.js';

/** RFC 8725 §3.5 / RFC 7518 §3.2: an HS256 key has at least the hash's 256 bits. */
const MIN_HMAC_KEY_BYTES = 32;

export const nodeJwtCrypto: JwtCrypto = {
  async sign(alg, key, data) {
    const k = keyFor(alg, key, 'sign');
    switch (alg) {
      case 'EdDSA':
        return sign(null, data, k);
      case 'ES256':
        return sign('sha256', data, { key: k, dsaEncoding: 'ieee-p1363' });
      case 'HS256':
        return createHmac('sha256', k).update(data).digest();
    }
  },
  async verify(alg, key, data, signature) {
    const k = keyFor(alg, key, 'verify');
    switch (alg) {
      case 'EdDSA':
        return verify(null, data, k, signature);
      case 'ES256':
        return verify('sha256', data, { key: k, dsaEncoding: 'ieee-p1363' }, signature);
      case 'HS256': {
        const expected = createHmac('sha256', k).update(data).digest();
        // Lengths are public (fixed at 32); only equal-length buffers are compared, in constant time.
        return signature.length === expected.length && timingSafeEqual(expected, signature);
      }
    }
  },
};

function keyFor(alg: JwtAlgorithm, key: unknown, use: 'sign' | 'verify'): KeyObject {
  if (!(key instanceof KeyObject)) throw new TypeError(`${alg}: key must be a KeyObject`);
  const fits =
    alg === 'HS256'
      ? key.type === 'secret' && (key.symmetricKeySize ?? 0) >= MIN_HMAC_KEY_BYTES
      : (key.type === 'private' || (use === 'verify' && key.type === 'public')) &&
        (alg === 'EdDSA'
          ? key.asymmetricKeyType === 'ed25519'
          : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1');
  if (!fits) throw new TypeError(`${alg}: key does not fit the algorithm`);
  return key;
}

export interface AccessKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Public members only (kty, crv, x, y): safe to publish in the JWKS. */
  readonly publicJwk: Record<string, string>;
}

/** A fresh signing key pair for access tokens. */
export function generateAccessKeyPair(alg: 'EdDSA' | 'ES256'): AccessKeyPair {
  const { privateKey, publicKey } =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  // Copy named members rather than the export, so a private member can never ride along.
  const publicJwk: Record<string, string> = {};
  for (const name of ['kty', 'crv', 'x', 'y'] as const) {
    const value = jwk[name];
    if (typeof value === 'string') publicJwk[name] = value;
  }
  return { privateKey, publicKey, publicJwk };
}
