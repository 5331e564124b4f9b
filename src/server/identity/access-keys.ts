/**
 * Access-token keys: EdDSA (Ed25519) or ES256 pairs in a rotating KeyRing. The private key
 * (PKCS#8) is sealed at rest; the public JWK is stored in the clear and published in the JWKS
 * while the key is usable.
 *
 * Threat: a relying party that cached the JWKS meets a token from a key it has never seen and
 * refuses it until its cache expires. So a rotated key is published PUBLISH_LEAD_MS before it
 * signs: the JWKS cache lifetime, plus the interval in which every instance reloads its keys.
 */
import { createPrivateKey, createPublicKey, type JsonWebKey } from 'node:crypto';
import type { JwtKey } from '../../core/jwt.js';
import type { SigningKeyStore } from '../../core/ports.js';
import { generateAccessKeyPair } from '../keys/jwt-crypto.js';
import { type KeyKind, KeyRing, RELOAD_INTERVAL_MS, type RotatedKey } from '../keys/key-ring.js';
import type { Sealer } from '../keys/sealer.js';

/** Cache lifetime of /.well-known/jwks.json. */
export const JWKS_MAX_AGE_SEC = 60;
export const PUBLISH_LEAD_MS = JWKS_MAX_AGE_SEC * 1000 + RELOAD_INTERVAL_MS;

function accessKeyKind(alg: 'EdDSA' | 'ES256'): KeyKind<JwtKey, JwtKey> {
  return {
    use: 'access',
    alg,
    generate() {
      const pair = generateAccessKeyPair(alg);
      return { secret: pair.privateKey.export({ format: 'der', type: 'pkcs8' }), publicJwk: pair.publicJwk };
    },
    signingHandle: (record, secret) => ({
      kid: record.kid,
      alg: record.alg as JwtKey['alg'],
      key: createPrivateKey({ key: Buffer.from(secret), format: 'der', type: 'pkcs8' }),
    }),
    verifyingHandle: (record) => ({
      kid: record.kid,
      alg: record.alg as JwtKey['alg'],
      key: createPublicKey({ key: record.publicJwk as JsonWebKey, format: 'jwk' }),
    }),
  };
}

export class AccessKeyRing {
  private readonly ring: KeyRing<JwtKey, JwtKey>;

  constructor(store: SigningKeyStore, sealer: Sealer, options: { alg: 'EdDSA' | 'ES256'; retentionMs: number; now: () => number }) {
    this.ring = new KeyRing(store, sealer, accessKeyKind(options.alg), { ...options, publishLeadMs: PUBLISH_LEAD_MS });
  }

  async current(): Promise<JwtKey> {
    return (await this.ring.current()).handle;
  }

  resolve(kid: string): Promise<JwtKey | undefined> {
    return this.ring.resolve(kid);
  }

  /** Adds the next key: published at once, signing from signsFrom (PUBLISH_LEAD_MS ahead). */
  rotate(): Promise<RotatedKey> {
    return this.ring.rotate();
  }

  /** RFC 7517 JWK Set of every usable public key: the next one (if rotated in), current, retired. */
  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    const records = await this.ring.usableRecords();
    return { keys: records.map((r) => ({ ...r.publicJwk, kid: r.kid, alg: r.alg, use: 'sig' })) };
  }
}
