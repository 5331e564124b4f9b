/**
 * Access-token key pairs (EdDSA or ES256) for the key ring; signing and verifying with them
 * is jose's (jose-jwt.ts).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';

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
