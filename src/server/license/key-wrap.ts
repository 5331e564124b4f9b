/**
 * Wrapping content keys inside entitlement messages (Axinom's inline `encrypted_key` form:
 * AES-256-CBC, IV = the key id, no padding — a content key is exactly one block). The AES key
 * is derived from the communication key with HKDF rather than being the HMAC key itself, so
 * one secret never serves two algorithms.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import type { KeyWrapCipher } from '../../core/drm/entitlement.js';
import type { CommunicationKeyRing } from './communication-keys.js';

const INFO = 'tollgate entitlement kek v1';

export function deriveKek(secret: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), INFO, 32));
}

function cipher(keys: CommunicationKeyRing, decrypt: boolean): KeyWrapCipher {
  return async (comKid, iv, data) => {
    const com = await keys.resolve(comKid);
    if (com === undefined) throw new Error(`unknown communication key ${comKid}`);
    const c = decrypt ? createDecipheriv('aes-256-cbc', com.kek, iv) : createCipheriv('aes-256-cbc', com.kek, iv);
    c.setAutoPadding(false);
    return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
  };
}

export const wrapWith = (keys: CommunicationKeyRing): KeyWrapCipher => cipher(keys, false);
export const unwrapWith = (keys: CommunicationKeyRing): KeyWrapCipher => cipher(keys, true);
