/**
 * The standard-JS MD5 and HMAC-MD5 the WebCrypto CDN crypto needs (WebCrypto has neither):
 * RFC 1321's test suite, RFC 2202's HMAC-MD5 cases, and node:crypto over every length across
 * the padding boundaries.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacMd5, md5 } from '../../../src/core/cdn/md5.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const text = (s: string) => new TextEncoder().encode(s);

describe('MD5 in standard JS', () => {
  it('gives the RFC 1321 test-suite digests', () => {
    expect(hex(md5(text('')))).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(hex(md5(text('a')))).toBe('0cc175b9c0f1b6a831c399e269772661');
    expect(hex(md5(text('abc')))).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(hex(md5(text('message digest')))).toBe('f96b697d7cb7938d525a2f31aaf161d0');
    expect(hex(md5(text('abcdefghijklmnopqrstuvwxyz')))).toBe('c3fcd3d76192e4007dfb496cca67e13b');
    expect(hex(md5(text('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')))).toBe('d174ab98d277d9f5a5611c2c9f419d9f');
    expect(hex(md5(text('1234567890'.repeat(8))))).toBe('57edf4a22be3c955ac49da2e2107b67a');
  });

  it('agrees with node:crypto for every length from 0 to 300 bytes', () => {
    for (let n = 0; n <= 300; n++) {
      const data = randomBytes(n);
      expect(hex(md5(data)), `length ${n}`).toBe(createHash('md5').update(data).digest('hex'));
    }
  });

  it('gives the RFC 2202 HMAC-MD5 digests, and node:crypto’s for long keys', () => {
    expect(hex(hmacMd5(new Uint8Array(16).fill(0x0b), text('Hi There')))).toBe('9294727a3638bb1c13f48ef8158bfc9d');
    expect(hex(hmacMd5(text('Jefe'), text('what do ya want for nothing?')))).toBe('750c783e6ab0b503eaa86e310a5db738');
    expect(hex(hmacMd5(new Uint8Array(80).fill(0xaa), text('Test Using Larger Than Block-Size Key - Hash Key First')))).toBe('6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd');
    for (const keyLength of [1, 63, 64, 65, 200]) {
      const key = randomBytes(keyLength);
      const data = randomBytes(100);
      expect(hex(hmacMd5(key, data))).toBe(createHmac('md5', key).update(data).digest('hex'));
    }
  });
});
