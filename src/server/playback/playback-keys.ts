/**
 * Playback-token keys: 256-bit HMAC secrets in a rotating KeyRing, sealed at rest. They live
 * only in this process's memory once opened; the gateway resolves a token's kid here before
 * the synchronous MAC check.
 */
import { randomBytes } from 'node:crypto';
import type { PlaybackKey } from '../../core/playback-token.js';
import type { SigningKeyStore } from '../../core/ports.js';
import { KeyRing } from '../keys/key-ring.js';
import type { Sealer } from '../keys/sealer.js';

export class PlaybackKeyRing {
  private readonly ring: KeyRing<Uint8Array, Uint8Array>;

  constructor(store: SigningKeyStore, sealer: Sealer, options: { retentionMs: number; now: () => number }) {
    this.ring = new KeyRing(
      store,
      sealer,
      {
        use: 'playback',
        alg: 'HS256',
        generate: () => ({ secret: randomBytes(32), publicJwk: null }),
        signingHandle: (_record, secret) => secret,
        verifyingHandle: (_record, openSecret) => openSecret(),
      },
      options,
    );
  }

  async current(): Promise<PlaybackKey> {
    const { kid, handle } = await this.ring.current();
    return { kid, secret: handle };
  }

  /**
   * Every secret that verifies tokens now, current first: what an edge worker verifying
   * playback tokens must hold (`tollgate keys edge`). Key material: for stdout, never a log.
   */
  async verifyingSecrets(): Promise<{ kid: string; secret: Uint8Array; current: boolean }[]> {
    await this.current(); // an empty store gets its first key, as the first playback would
    const out = [];
    for (const record of await this.ring.usableRecords()) {
      const secret = await this.ring.resolve(record.kid);
      if (secret !== undefined) out.push({ kid: record.kid, secret, current: record.retiredAt === null });
    }
    return out;
  }

  resolve(kid: string): Promise<Uint8Array | undefined> {
    return this.ring.resolve(kid);
  }

  /** Synchronous: does the kid still verify, as far as this instance last loaded the store? */
  isUsable(kid: string): boolean {
    return this.ring.isUsable(kid);
  }

  async rotate(): Promise<string> {
    return (await this.ring.rotate()).kid;
  }
}
