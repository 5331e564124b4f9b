// The WM token of ETSI TS 104 002 (direct mode) as an edge reads it: the layout of clause 5.4
// (a COSE_Mac0 CWT with integer claim keys 300–304, deterministic CBOR), the spec's own
// big-endian bit example, and the ways around it: an edited pattern, another key, an expired
// token, a downgraded or unprotected algorithm, claims that read two ways (duplicate keys,
// non-shortest integers, trailing bytes, indefinite lengths), modes it does not implement
// (indirect, encrypted pattern), a wrong version, a pattern shorter than wmpatlen, junk.
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeBase64url, decodeBase64url } from '../../../src/core/base64url.js';
import { CborMap, CborTag, type CborValue, encodeCbor } from '../../../src/core/cdn/cbor.js';
import { decodeCbor } from '../../../src/core/cdn/cbor-decode.js';
import { signWmToken, verifyWmToken, WM_CLAIM, wmVariant } from '../../../src/core/watermark/wm-token.js';
import { nodeCdnCrypto } from '../../../src/server/edge/cdn-crypto.js';

const KEY = randomBytes(32);
const NOW = 1_800_000_000;
const PATTERN = Uint8Array.from([0x0a, 0x0b, 0x0c, 0x0d]);
const valid = { bytes: PATTERN, bits: 32, vendor: 0, iat: NOW - 10, exp: NOW + 600 };

const sign = (input = valid, key: Uint8Array = KEY) => {
  const token = signWmToken(input, key, nodeCdnCrypto);
  if (!token.ok) throw new Error(token.detail);
  return token.value;
};
const verify = (token: string, key: Uint8Array = KEY, now = NOW) => verifyWmToken(token, key, now, nodeCdnCrypto);

/** A COSE_Mac0 over any payload bytes, MACed right, with any protected header: what an attacker holding a key could not make, or a buggy issuer might. */
function forge(payload: Uint8Array, protectedHeader = encodeCbor(new CborMap([[1, 5]])), unprotected: CborValue = new CborMap([])): string {
  const mac = createHmac('sha256', KEY).update(encodeCbor(['MAC0', protectedHeader, new Uint8Array(0), payload])).digest();
  return encodeBase64url(encodeCbor(new CborTag(17, [protectedHeader, unprotected, payload, new Uint8Array(mac)])));
}
const claims = (entries: [number, CborValue][]) => encodeCbor(new CborMap(entries));
const base: [number, CborValue][] = [
  [WM_CLAIM.exp, NOW + 600],
  [WM_CLAIM.iat, NOW],
  [WM_CLAIM.wmver, 1],
  [WM_CLAIM.wmvnd, 0],
  [WM_CLAIM.wmpatlen, 32],
  [WM_CLAIM.wmpattern, PATTERN],
];
const without = (key: number) => base.filter(([k]) => k !== key);

describe('WM token (TS 104 002 direct mode)', () => {
  it('is a COSE_Mac0 (HMAC 256/256) whose claims carry integer keys 4, 6, 300, 301, 302, 304 in ascending order', () => {
    const envelope = decodeCbor(decodeBase64url(sign())!) as CborTag;
    expect(envelope.tag).toBe(17);
    const [protectedHeader, , payload, tag] = envelope.value as Uint8Array[];
    expect((decodeCbor(protectedHeader!) as CborMap).entries).toEqual([[1, 5]]);
    expect(tag).toHaveLength(32);
    expect((decodeCbor(payload!) as CborMap).entries).toEqual(base.map(([k, v]) => [k, k === WM_CLAIM.iat ? NOW - 10 : v]));
    expect(verify(sign())).toEqual({ ok: true, value: { bytes: PATTERN, bits: 32, exp: NOW + 600 } });
  });

  it('addresses bits big-endian as the spec example does (0x0A0B0C0D: position 3 is 0, 4 is 1), wrapping at wmpatlen', () => {
    const pattern = { bytes: PATTERN, bits: 32, exp: 0 };
    expect(wmVariant(pattern, 3)).toBe('a');
    expect(wmVariant(pattern, 4)).toBe('b');
    expect([...Array(8).keys()].map((p) => wmVariant(pattern, p)).join('')).toBe('aaaababa');
    expect(wmVariant(pattern, 32 + 4)).toBe('b');
    expect(wmVariant(pattern, 31)).toBe('b'); // 0x0D = 00001101
  });

  it('refuses an edited pattern, another key, and an expired or not-yet-valid token', () => {
    const token = decodeBase64url(sign())!;
    const edited = Uint8Array.from(token);
    edited[edited.indexOf(0x0a)] = 0x0b; // the pattern's first byte
    expect(verify(encodeBase64url(edited))).toMatchObject({ ok: false, code: 'invalid_token' });
    expect(verify(sign(), randomBytes(32))).toMatchObject({ ok: false, code: 'invalid_token', detail: 'WM token: MAC does not verify' });
    expect(verify(sign(), KEY, NOW + 600)).toMatchObject({ ok: false, code: 'token_expired' });
    expect(verify(forge(claims([...base, [WM_CLAIM.nbf, NOW + 5]])))).toMatchObject({ ok: false, code: 'invalid_token' });
    expect(verify(forge(claims(base)))).toMatchObject({ ok: true });
  });

  it('refuses another algorithm (HMAC 256/64), an unprotected one, and a missing protected header', () => {
    expect(verify(forge(claims(base), encodeCbor(new CborMap([[1, 4]]))))).toMatchObject({ ok: false, detail: expect.stringContaining('HMAC 256/256') });
    expect(verify(forge(claims(base), new Uint8Array(0), new CborMap([[1, 5]])))).toMatchObject({ ok: false, code: 'invalid_token' });
    expect(verify(forge(claims(base), encodeCbor(new CborMap([[1, 5], [4, 'kid']]))))).toMatchObject({ ok: false, code: 'invalid_token' });
  });

  it('refuses claims that could be read two ways', () => {
    const duplicate = claims([...base, [WM_CLAIM.wmpattern, Uint8Array.from([0xff, 0xff, 0xff, 0xff])]]);
    expect(verify(forge(duplicate))).toMatchObject({ ok: false, detail: 'WM token: duplicate map key' });
    const longExp = Uint8Array.from([...claims(base)]);
    // exp as a 4-byte integer is shortest; write 300 (wmver's key, 0x19 0x01 0x2c) with a needless 4-byte form instead.
    const at = longExp.findIndex((b, i) => b === 0x19 && longExp[i + 1] === 0x01 && longExp[i + 2] === 0x2c);
    const nonShortest = Uint8Array.from([...longExp.subarray(0, at), 0x1a, 0, 0, 0x01, 0x2c, ...longExp.subarray(at + 3)]);
    expect(verify(forge(nonShortest))).toMatchObject({ ok: false, detail: expect.stringContaining('shortest') });
    expect(verify(forge(Uint8Array.from([...claims(base), 0x00])))).toMatchObject({ ok: false, detail: expect.stringContaining('trailing') });
    const indefinite = Uint8Array.from([0xbf, ...claims(base).subarray(1), 0xff]);
    expect(verify(forge(indefinite))).toMatchObject({ ok: false, detail: expect.stringContaining('indefinite') });
    expect(verify(encodeBase64url(Uint8Array.from([...decodeBase64url(sign())!, 0x00])))).toMatchObject({ ok: false, code: 'invalid_token' });
  });

  it('refuses what it does not implement or what does not add up', () => {
    const cases: [string, [number, CborValue][]][] = [
      ['wmver 2', [...without(WM_CLAIM.wmver), [WM_CLAIM.wmver, 2]]],
      ['indirect mode', [...without(WM_CLAIM.wmpattern), [WM_CLAIM.wmid, 'session-1']]],
      ['an encrypted pattern', [...without(WM_CLAIM.wmpattern), [WM_CLAIM.wmpattern, new CborTag(16, [new Uint8Array(0), new CborMap([]), PATTERN])]]],
      ['a pattern shorter than wmpatlen', [...without(WM_CLAIM.wmpatlen), [WM_CLAIM.wmpatlen, 33]]],
      ['wmpatlen 0', [...without(WM_CLAIM.wmpatlen), [WM_CLAIM.wmpatlen, 0]]],
      ['no exp', without(WM_CLAIM.exp)],
      ['no iat', without(WM_CLAIM.iat)],
      ['a two-byte vendor', [...without(WM_CLAIM.wmvnd), [WM_CLAIM.wmvnd, 256]]],
    ];
    for (const [what, entries] of cases) expect(verify(forge(claims(entries))), what).toMatchObject({ ok: false, code: 'invalid_token' });
  });

  it('refuses junk without throwing', () => {
    for (const junk of ['', 'not base64!', encodeBase64url(randomBytes(64)), 'A'.repeat(20_000), encodeBase64url(Uint8Array.from([0x9f, 0x9f, 0x9f]))]) {
      expect(verify(junk)).toMatchObject({ ok: false, code: 'invalid_token' });
    }
    const deep = encodeBase64url(Uint8Array.from([...Array(40).fill(0x81), 0x00]));
    expect(verify(deep)).toMatchObject({ ok: false, detail: 'WM token: nested too deep' });
  });

  it('refuses to sign what it could not read back', () => {
    expect(signWmToken({ ...valid, bits: 33 }, KEY, nodeCdnCrypto)).toMatchObject({ ok: false, code: 'bad_request' });
    expect(signWmToken({ ...valid, vendor: 300 }, KEY, nodeCdnCrypto)).toMatchObject({ ok: false });
    expect(signWmToken({ ...valid, exp: valid.iat }, KEY, nodeCdnCrypto)).toMatchObject({ ok: false });
    expect(signWmToken(valid, randomBytes(16), nodeCdnCrypto)).toMatchObject({ ok: false });
  });
});
