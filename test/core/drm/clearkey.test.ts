/**
 * W3C EME Clear Key (§9.1) with the spec's example kids and key (FORMATS.md §5): requests as
 * real players send them, bad requests refused with a detail naming the fault, and the
 * license in exactly the §9.1.4 form.
 */
import { describe, expect, it } from 'vitest';
import { buildClearKeyLicense, parseClearKeyRequest } from '../../../src/core/drm/clearkey.js';
import { hex, W3C } from './support.js';

const ok = (kids: string[], type: 'temporary' | 'persistent-license' = 'temporary') => ({ ok: true, value: { kids, type } });

describe('parseClearKeyRequest: what real players send', () => {
  it('reads the spec form: unpadded base64url kids and a type', () => {
    expect(parseClearKeyRequest({ kids: [W3C.kid1, W3C.kid2], type: 'temporary' })).toEqual(ok([W3C.kid1Hex, W3C.kid2Hex]));
    expect(parseClearKeyRequest({ kids: [W3C.kid1], type: 'persistent-license' })).toEqual(ok([W3C.kid1Hex], 'persistent-license'));
  });

  it('reads a missing type as temporary', () => {
    expect(parseClearKeyRequest({ kids: [W3C.kid1] })).toEqual(ok([W3C.kid1Hex]));
  });

  it.each([
    ['padded base64url', 'LwVHf8JLtPrv2GUXFW2v_A=='],
    ['standard-alphabet base64, padded', 'LwVHf8JLtPrv2GUXFW2v/A=='],
    ['standard-alphabet base64, unpadded', 'LwVHf8JLtPrv2GUXFW2v/A'],
    ['lower-case hex', W3C.kid1Hex],
    ['upper-case hex', W3C.kid1Hex.toUpperCase()],
  ])('reads a kid in %s', (_name, kid) => {
    expect(parseClearKeyRequest({ kids: [kid] })).toEqual(ok([W3C.kid1Hex]));
  });

  it('collapses one kid spelled several ways, keeping request order', () => {
    const kids = [W3C.kid2, W3C.kid1, `${W3C.kid1}==`, W3C.kid1Hex, W3C.kid2.replace('-', '+').replace('_', '/')];
    expect(parseClearKeyRequest({ kids })).toEqual(ok([W3C.kid2Hex, W3C.kid1Hex]));
  });

  it('ignores members it does not read', () => {
    expect(parseClearKeyRequest({ kids: [W3C.kid1], sessionId: 'x', extra: [1, 2] })).toEqual(ok([W3C.kid1Hex]));
  });

  it('accepts 64 kids', () => {
    const kids = Array.from({ length: 64 }, (_, i) => i.toString(16).padStart(32, '0'));
    const verdict = parseClearKeyRequest({ kids });
    expect(verdict.ok && verdict.value.kids).toHaveLength(64);
  });
});

describe('parseClearKeyRequest: refusals', () => {
  it.each([
    ['null', null, /must be a JSON object/],
    ['a list', [W3C.kid1], /must be a JSON object/],
    ['a string', '{"kids":[]}', /must be a JSON object/],
    ['no kids', { type: 'temporary' }, /kids is missing/],
    ['kids not a list', { kids: W3C.kid1 }, /kids must be a list/],
    ['kids an object', { kids: { 0: W3C.kid1 } }, /kids must be a list/],
    ['kids empty', { kids: [] }, /kids is empty/],
    ['65 kids', { kids: Array.from({ length: 65 }, () => W3C.kid1) }, /more than 64/],
    ['a number kid', { kids: [W3C.kid1, 7] }, /kids\[1\] is not a string/],
    ['a null kid', { kids: [null] }, /kids\[0\] is not a string/],
    ['an empty kid', { kids: [''] }, /kids\[0\] is not a 16-byte key id/],
    ['a 15-byte kid', { kids: ['LwVHf8JLtPrv2GUXFW2v'] }, /kids\[0\] is not a 16-byte/],
    ['an 18-byte kid', { kids: ['LwVHf8JLtPrv2GUXFW2v_AAB'] }, /kids\[0\] is not a 16-byte/],
    ['31 hex digits', { kids: [W3C.kid1Hex.slice(1)] }, /is not a 16-byte/],
    ['a UUID', { kids: ['2f05477f-c24b-b4fa-efd8-6517156daffc'] }, /is not a 16-byte/],
    ['mixed alphabets', { kids: ['LwVHf8JLtPrv2GUXF+2v_A'] }, /is not a 16-byte/],
    ['one "=" of padding', { kids: ['LwVHf8JLtPrv2GUXFW2v_A='] }, /is not a 16-byte/],
    ['non-canonical trailing bits', { kids: ['LwVHf8JLtPrv2GUXFW2v_B'] }, /is not a 16-byte/],
    ['whitespace', { kids: [' LwVHf8JLtPrv2GUXFW2v_A'] }, /is not a 16-byte/],
    ['a huge kid', { kids: ['A'.repeat(100_000)] }, /is not a 16-byte/],
    ['an unknown type', { kids: [W3C.kid1], type: 'persistent-usage-record' }, /type must be/],
    ['a null type', { kids: [W3C.kid1], type: null }, /type must be/],
  ])('refuses %s', (_name, body, detail) => {
    const verdict = parseClearKeyRequest(body);
    expect(verdict).toMatchObject({ ok: false, code: 'bad_request' });
    expect(!verdict.ok && verdict.detail).toMatch(detail);
  });
});

describe('buildClearKeyLicense (§9.1.4)', () => {
  it('writes the spec example exactly', () => {
    const license = buildClearKeyLicense([{ kid: W3C.kid1Hex, key: hex(W3C.keyHex) }], 'temporary');
    expect(JSON.stringify(license)).toBe(`{"keys":[{"kty":"oct","kid":"${W3C.kid1}","k":"${W3C.key}"}],"type":"temporary"}`);
  });

  it('uses unpadded base64url only: no "=", "+" or "/"', () => {
    // Keys chosen so standard base64 would need '+' and '/'.
    const keys = [
      { kid: W3C.kid2Hex, key: hex('fbffbffbffbffbffbffbffbffbffbfff') },
      { kid: 'fbefbefbefbefbefbefbefbefbefbefb', key: hex(W3C.keyHex) },
    ];
    const license = buildClearKeyLicense(keys, 'persistent-license');
    expect(license.type).toBe('persistent-license');
    for (const { kty, kid, k } of license.keys) {
      expect(kty).toBe('oct');
      for (const text of [kid, k]) expect(text).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
    expect(license.keys[0]!.k).toBe(Buffer.from('fbffbffbffbffbffbffbffbffbffbfff', 'hex').toString('base64url'));
  });

  it('round-trips with the request parser', () => {
    const license = buildClearKeyLicense([{ kid: W3C.kid1Hex, key: hex(W3C.keyHex) }, { kid: W3C.kid2Hex, key: hex(W3C.keyHex) }], 'temporary');
    expect(parseClearKeyRequest({ kids: license.keys.map((k) => k.kid) })).toEqual(ok([W3C.kid1Hex, W3C.kid2Hex]));
  });

  it('throws on a malformed key rather than writing it', () => {
    expect(() => buildClearKeyLicense([{ kid: W3C.kid1Hex, key: hex('00') }], 'temporary')).toThrow(TypeError);
    expect(() => buildClearKeyLicense([{ kid: W3C.kid1, key: hex(W3C.keyHex) }], 'temporary')).toThrow(TypeError);
  });
});
