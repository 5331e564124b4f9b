/**
 * CTA-5007 Common Access Tokens against @eyevinn/cat 0.16: byte for byte with its CWT-tagged
 * output, validated by its validator in both forms, and the CBOR encoder on RFC 8949's
 * Appendix A examples.
 */
import { CAT } from '@eyevinn/cat';
import { describe, expect, it } from 'vitest';
import { type CatClaims, signCat, signCatAsync } from '../../../src/core/cdn/cat.js';
import { webCryptoCdnCrypto } from '../../../src/core/cdn/webcrypto.js';
import { CborMap, CborTag, encodeCbor } from '../../../src/core/cdn/cbor.js';
import { nodeCdnCrypto } from '../../../src/server/edge/cdn-crypto.js';

type CommonAccessTokenDict = Parameters<CAT['generateFromJson']>[0];

const KEY = Buffer.from('403697de87af64611c1d32a05dab0fe1fcb715a86ab435f1ec99192d79569388', 'hex');

function ours(claims: CatClaims, cwtTag: boolean, kid = 'Symmetric256'): string {
  const verdict = signCat(claims, { kid, key: KEY, cwtTag }, nodeCdnCrypto);
  if (!verdict.ok) throw new Error(verdict.detail);
  return verdict.value;
}

/** The same claims in @eyevinn/cat's JSON form (its catr keys in ascending label order). */
function referenceDict(c: CatClaims): CommonAccessTokenDict {
  const dict: CommonAccessTokenDict = {};
  if (c.iss !== undefined) dict.iss = c.iss;
  if (c.sub !== undefined) dict.sub = c.sub;
  if (c.aud !== undefined) dict.aud = c.aud;
  dict.exp = c.exp;
  if (c.nbf !== undefined) dict.nbf = c.nbf;
  if (c.iat !== undefined) dict.iat = c.iat;
  if (c.cti !== undefined) dict.cti = Buffer.from(c.cti).toString('hex');
  if (c.catreplay !== undefined) dict.catreplay = c.catreplay;
  if (c.catu !== undefined) dict.catu = Object.fromEntries(c.catu.map((r) => [r.part, { [`${r.match}-match`]: r.value }]));
  if (c.catgeoiso3166 !== undefined) dict.catgeoiso3166 = c.catgeoiso3166;
  if (c.catr !== undefined) {
    const r = c.catr;
    dict.catr = { type: r.type, expadd: r.expadd, ...(r.deadline !== undefined ? { deadline: r.deadline } : {}), ...(r.cookieName !== undefined ? { 'cookie-name': r.cookieName } : {}), ...(r.headerName !== undefined ? { 'header-name': r.headerName } : {}) };
  }
  return dict;
}

const CASES: CatClaims[] = [
  { exp: 1700000300 },
  { exp: 1700000300, iat: 1700000000, cti: Uint8Array.of(1, 2, 3, 4) },
  { iss: 'tollgate', exp: 2147483647, iat: 1700000000, cti: new Uint8Array(16).fill(0xab), catu: [{ part: 'path', match: 'prefix', value: '/vod/movie1/' }] },
  { iss: 'tollgate', sub: 'user-42', aud: 'cdn.example.com', exp: 4102444800, nbf: 1700000000, iat: 1700000000, catreplay: 1 },
  { aud: ['a', 'b'], exp: 1700000300, catu: [{ part: 'host', match: 'exact', value: 'cdn.example.com' }, { part: 'extension', match: 'suffix', value: '.ts' }] },
  { exp: 1700000300, catgeoiso3166: ['SE', 'US'], catr: { type: 'header', expadd: 120, deadline: 60, headerName: 'cta-common-access-token' } },
  { exp: 1700000300, catr: { type: 'cookie', expadd: 3600, cookieName: 'cta-cat' }, catreplay: 2, catu: [{ part: 'path', match: 'contains', value: 'ü' }] },
  { iss: 'x'.repeat(300), exp: 4294967295, cti: new Uint8Array(64).fill(7) },
];

describe('CAT signer against @eyevinn/cat', () => {
  it(`writes the same CWT-tagged token as the reference for ${CASES.length} claim sets`, async () => {
    const reference = new CAT({ keys: { Symmetric256: KEY }, expectCwtTag: true });
    for (const claims of CASES) {
      const expected = await reference.generateFromJson(referenceDict(claims), { type: 'mac', alg: 'HS256', kid: 'Symmetric256' });
      expect(ours(claims, true), JSON.stringify(referenceDict(claims))).toBe(expected);
    }
  });

  it(`writes the same tokens on WebCrypto for the ${CASES.length} claim sets, in both forms`, async () => {
    for (const claims of CASES) {
      for (const cwtTag of [true, false]) {
        expect(await signCatAsync(claims, { kid: 'Symmetric256', key: KEY, cwtTag }, webCryptoCdnCrypto())).toEqual({ ok: true, value: ours(claims, cwtTag) });
      }
    }
  });

  it("is accepted by the reference validator in both forms, with the URL its catu rule allows, and refused with another", async () => {
    for (const cwtTag of [true, false]) {
      const validator = new CAT({ keys: { Symmetric256: KEY }, expectCwtTag: cwtTag });
      const token = ours({ iss: 'tollgate', exp: 4102444800, iat: 1700000000, catu: [{ part: 'path', match: 'prefix', value: '/vod/movie1/' }] }, cwtTag);
      const good = await validator.validate(token, 'mac', { issuer: 'tollgate', url: new URL('https://cdn.example.com/vod/movie1/seg-1.ts') });
      expect(good.error).toBeUndefined();
      expect(good.cat?.claims).toMatchObject({ iss: 'tollgate', exp: 4102444800, catu: { path: { 'prefix-match': '/vod/movie1/' } } });
      const other = await validator.validate(token, 'mac', { issuer: 'tollgate', url: new URL('https://cdn.example.com/vod/movie2/seg-1.ts') });
      expect(other.error?.message).toMatch(/not allowed/);
    }
  });

  it('diverges from the untagged reference on purpose: its COSE payload is hex text, ours the CBOR bytes RFC 9052 requires', async () => {
    const reference = new CAT({ keys: { Symmetric256: KEY } });
    const theirs = Buffer.from((await reference.generateFromJson({ exp: 1700000300 }, { type: 'mac', alg: 'HS256', kid: 'Symmetric256' }))!, 'base64url');
    const mine = Buffer.from(ours({ exp: 1700000300 }, false), 'base64url');
    // Both: tag 17, [h'a10105', {4: h'Symmetric256'}, payload, tag]; the payload differs in major type.
    const prefix = Buffer.from('d18443a10105a1044c53796d6d6574726963323536', 'hex');
    expect(mine.subarray(0, prefix.length)).toEqual(prefix);
    expect(theirs.subarray(0, prefix.length)).toEqual(prefix);
    expect(mine[prefix.length]! >> 5).toBe(2); // major type 2: byte string
    expect(theirs[prefix.length]! >> 5).toBe(3); // major type 3: text string (the hex of the claims)
  });

  it('refuses claims it cannot write exactly', () => {
    for (const bad of [
      { exp: 0 },
      { exp: 1700000300.5 },
      { exp: 1700000300, nbf: 1700000300 },
      { exp: 1700000300, cti: new Uint8Array(0) },
      { exp: 1700000300, catreplay: 3 as 0 },
      { exp: 1700000300, catu: [] },
      { exp: 1700000300, catu: [{ part: 'constructor' as 'path', match: 'prefix' as const, value: '/' }] },
      { exp: 1700000300, catu: [{ part: 'path' as const, match: 'prefix' as const, value: '/a' }, { part: 'path' as const, match: 'exact' as const, value: '/b' }] },
      { exp: 1700000300, catgeoiso3166: ['sweden'] },
      { exp: 1700000300, catr: { type: 'header' as const, expadd: -1 } },
      // Past 2^32 s, cbor-x writes times as floats and @eyevinn/cat rejects uint64 ones: no common form.
      { exp: 4294967296 },
    ]) {
      expect(signCat(bad, { kid: 'k', key: KEY }, nodeCdnCrypto), JSON.stringify(bad)).toMatchObject({ ok: false, code: 'bad_request' });
    }
  });
});

describe('minimal CBOR encoder', () => {
  const hex = (v: Parameters<typeof encodeCbor>[0]) => Buffer.from(encodeCbor(v)).toString('hex');
  it('writes the RFC 8949 Appendix A examples it supports', () => {
    expect(hex(0)).toBe('00');
    expect(hex(23)).toBe('17');
    expect(hex(24)).toBe('1818');
    expect(hex(1000)).toBe('1903e8');
    expect(hex(1000000)).toBe('1a000f4240');
    expect(hex(1000000000000)).toBe('1b000000e8d4a51000');
    expect(hex(-1)).toBe('20');
    expect(hex(-1000)).toBe('3903e7');
    expect(hex('')).toBe('60');
    expect(hex('ü')).toBe('62c3bc');
    expect(hex(Uint8Array.of(1, 2, 3, 4))).toBe('4401020304');
    expect(hex([1, [2, 3], [4, 5]])).toBe('8301820203820405');
    expect(hex(new CborMap([[1, 2], [3, 4]]))).toBe('a201020304');
    expect(hex(new CborMap([['a', 1], ['b', [2, 3]]]))).toBe('a26161016162820203');
    expect(hex(new CborTag(1, 1363896240))).toBe('c11a514b67b0');
  });
});
