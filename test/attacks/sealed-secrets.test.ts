/**
 * Attacks on secrets sealed at rest (src/server/keys/sealer.ts): someone who can write the
 * database but lacks the master key plants a sealed value whose GCM tag is short enough to
 * brute-force, or whose IV has an odd length. Each value below is built with the real master
 * key, standing in for the forgery an attacker would reach by trial: the sealer must refuse
 * the shape itself, not rely on the attacker failing to guess.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSealer } from '../../src/server/keys/sealer.js';

const masterKey = randomBytes(32);
const sealer = createSealer(masterKey);
const CONTEXT = 'signing-key:playback:pl-test';

/** A "v1" value as sealer.ts writes it, but with a chosen IV length and tag length. */
function sealWith(plaintext: Uint8Array, ivBytes: number, tagBytes: number): string {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: tagBytes });
  cipher.setAAD(Buffer.from(CONTEXT, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `v1.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

describe('attack: a forged sealed secret with a truncated GCM tag', () => {
  it('refuses a 4-byte tag (2^32 guesses to forge)', () => {
    expect(() => sealer.open(sealWith(new Uint8Array(0), 12, 4), CONTEXT)).toThrow(/cannot open/);
  });

  it('refuses 8- and 12-byte tags over short secrets', () => {
    expect(() => sealer.open(sealWith(new Uint8Array(4), 12, 8), CONTEXT)).toThrow(/cannot open/);
    expect(() => sealer.open(sealWith(new Uint8Array(2), 12, 12), CONTEXT)).toThrow(/cannot open/);
  });

  it('refuses a value too short to hold a full tag', () => {
    expect(() => sealer.open(`v1.${randomBytes(12).toString('base64url')}.${randomBytes(15).toString('base64url')}`, CONTEXT)).toThrow(
      /cannot open/,
    );
  });
});

describe('attack: a forged sealed secret with a wrong IV length', () => {
  it.each([1, 8, 16, 64])('refuses a %i-byte IV', (ivBytes) => {
    expect(() => sealer.open(sealWith(randomBytes(32), ivBytes, 16), CONTEXT)).toThrow(/cannot open/);
  });

  it('still opens what it sealed', () => {
    const secret = randomBytes(32);
    expect(Buffer.from(sealer.open(sealer.seal(secret, CONTEXT), CONTEXT))).toEqual(secret);
  });
});
