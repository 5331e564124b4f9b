/**
 * Content keys at rest: 16-byte AES keys sealed under the master key, bound to their key id,
 * so a database copy alone decrypts no video and a sealed key moved onto another kid fails.
 */
import { randomBytes } from 'node:crypto';
import type { Sealer } from './sealer.js';

export interface NewContentKey {
  /** 32 lower-case hex digits. */
  readonly kid: string;
  readonly key: Uint8Array;
  readonly sealed: string;
}

export function newContentKey(sealer: Sealer): NewContentKey {
  const kid = randomBytes(16).toString('hex');
  const key = new Uint8Array(randomBytes(16));
  return { kid, key, sealed: sealer.seal(key, context(kid)) };
}

export function openContentKey(sealer: Sealer, kid: string, sealed: string): Uint8Array {
  return sealer.open(sealed, context(kid));
}

function context(kid: string): string {
  return `content-key:${kid}`;
}
