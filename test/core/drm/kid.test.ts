/** Key-id and base64 text forms: one canonical text per value, checked against Node's codecs. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesToHex, decodeBase64, encodeBase64, hexToBytes, isKidHex, kidToUuid } from '../../../src/core/drm/kid.js';
import { W3C } from './support.js';

describe('kid text forms', () => {
  it('converts hex, bytes and UUID text', () => {
    expect(bytesToHex(hexToBytes(W3C.kid1Hex))).toBe(W3C.kid1Hex);
    expect(kidToUuid(W3C.kid1Hex)).toBe('2f05477f-c24b-b4fa-efd8-6517156daffc');
    expect(isKidHex(W3C.kid1Hex)).toBe(true);
    for (const bad of [W3C.kid1Hex.toUpperCase(), W3C.kid1Hex.slice(1), `${W3C.kid1Hex}0`, 42, undefined]) expect(isKidHex(bad)).toBe(false);
  });

  it('writes and reads padded standard base64 as Node does, for every length mod 3', () => {
    for (let n = 0; n <= 33; n++) {
      const bytes = new Uint8Array(randomBytes(n));
      const text = encodeBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(decodeBase64(text)).toEqual(bytes);
    }
  });

  it.each([
    ['unpadded', 'tQ0bJVWb6b0KPL6KtZIy/A'],
    ['url alphabet', 'tQ0bJVWb6b0KPL6KtZIy_A=='],
    ['non-canonical trailing bits', 'tQ0bJVWb6b0KPL6KtZIy/B=='],
    ['too much padding', 'tQ0bJVWb6b0KPL6KtZIy/A==='],
    ['whitespace', 'tQ0bJVWb6b0K PL6KtZIy/A=='],
  ])('refuses base64 %s', (_name, text) => {
    expect(decodeBase64(text)).toBeUndefined();
  });
});
