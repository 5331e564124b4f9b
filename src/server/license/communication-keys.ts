/**
 * Communication keys: the 256-bit HMAC keys that sign entitlement messages between the
 * entitlement proxy and the license server (Axinom's term). They rotate like every signing
 * key; a retired one verifies for a minute, far beyond a message's seconds-long life. A key
 * derived from the same secret wraps the content keys carried inline in a message
 * (key-wrap.ts), so a message alone opens only with the license server's copy of the key.
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import type { JwtKey } from '../../core/jwt.js';
import type { SigningKeyStore } from '../../core/ports.js';
import { KeyRing } from '../keys/key-ring.js';
import type { Sealer } from '../keys/sealer.js';
import { deriveKek } from './key-wrap.js';

export interface CommunicationKey {
  readonly jwt: JwtKey;
  /** The key-encryption key derived from the secret (see key-wrap.ts), derived once. */
  readonly kek: Uint8Array;
}

export class CommunicationKeyRing {
  private readonly ring: KeyRing<CommunicationKey, CommunicationKey>;

  constructor(store: SigningKeyStore, sealer: Sealer, options: { now: () => number }) {
    const handle = (kid: string, secret: Uint8Array): CommunicationKey => ({
      jwt: { kid, alg: 'HS256', key: createSecretKey(secret) },
      kek: deriveKek(secret),
    });
    this.ring = new KeyRing(
      store,
      sealer,
      {
        use: 'entitlement',
        alg: 'HS256',
        generate: () => ({ secret: randomBytes(32), publicJwk: null }),
        signingHandle: (record, secret) => handle(record.kid, secret),
        verifyingHandle: (record, openSecret) => handle(record.kid, openSecret()),
      },
      { retentionMs: 60_000, now: options.now },
    );
  }

  async current(): Promise<CommunicationKey> {
    return (await this.ring.current()).handle;
  }

  resolve(kid: string): Promise<CommunicationKey | undefined> {
    return this.ring.resolve(kid);
  }

  async rotate(): Promise<string> {
    return (await this.ring.rotate()).kid;
  }
}
