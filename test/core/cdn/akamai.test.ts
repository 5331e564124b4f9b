/**
 * Akamai EdgeAuth token v2 byte for byte against npm akamai-edgeauth 0.2.0, over ACL and URL
 * tokens, all three algorithms, escape-early, delimiters, ip/id/data/salt, and the worked
 * example of reference/FORMATS.md (akamai-01). The library writes its defaults into the
 * options object it is given, so each reference token gets a fresh instance and options.
 */
import EdgeAuth from 'akamai-edgeauth';
import { describe, expect, it } from 'vitest';
import { type AkamaiOptions, akamaiSignedUrl, signAkamaiToken, signAkamaiTokenAsync } from '../../../src/core/cdn/akamai.js';
import { webCryptoCdnCrypto } from '../../../src/core/cdn/webcrypto.js';
import { nodeCdnCrypto } from '../../../src/server/edge/cdn-crypto.js';

function ours(o: AkamaiOptions): string {
  const verdict = signAkamaiToken(o, nodeCdnCrypto);
  if (!verdict.ok) throw new Error(verdict.detail);
  return verdict.value;
}

function reference(o: AkamaiOptions): string {
  const ea = new EdgeAuth({
    key: o.key,
    endTime: o.expires,
    ...(o.start !== undefined ? { startTime: o.start } : {}),
    ...(o.algorithm !== undefined ? { algorithm: o.algorithm } : {}),
    ...(o.escapeEarly !== undefined ? { escapeEarly: o.escapeEarly } : {}),
    ...(o.fieldDelimiter !== undefined ? { fieldDelimiter: o.fieldDelimiter } : {}),
    ...(o.ip !== undefined ? { ip: o.ip } : {}),
    ...(o.sessionId !== undefined ? { sessionId: o.sessionId } : {}),
    ...(o.payload !== undefined ? { payload: o.payload } : {}),
    ...(o.salt !== undefined ? { salt: o.salt } : {}),
  });
  return o.acl !== undefined ? ea.generateACLToken(typeof o.acl === 'string' ? o.acl : [...o.acl]) : ea.generateURLToken(o.url!);
}

const KEY = '52a1'.repeat(8);

describe('Akamai EdgeAuth signer against akamai-edgeauth 0.2.0', () => {
  const cases: AkamaiOptions[] = [];
  const targets: Array<Pick<AkamaiOptions, 'acl' | 'url'>> = [
    { acl: '/vod/movie1/*' },
    { acl: ['/vod/movie1/*', '/vod/subs/*'] },
    { acl: '/*' },
    { url: '/vod/movie1/index.m3u8' },
    { url: '/vod/my movie/seg 1.ts?x=(1)' },
    { url: "/vod/it's/a*b~c.ts" },
  ];
  const extras: Array<Partial<AkamaiOptions>> = [
    {},
    { ip: '203.0.113.7' },
    { sessionId: 'session-42', payload: 'user=7' },
    { salt: 'pepper' },
    { ip: '2001:db8::1', sessionId: 'a b', payload: "it's ~ok*", escapeEarly: true },
    { fieldDelimiter: ';' },
  ];
  for (const target of targets) {
    for (const algorithm of ['sha256', 'sha1', 'md5'] as const) {
      for (const extra of extras) {
        for (const escapeEarly of [false, true]) {
          for (const start of [undefined, 1700000000]) {
            cases.push({ key: KEY, expires: 1700000300, algorithm, escapeEarly, ...target, ...extra, ...(start !== undefined ? { start } : {}) });
          }
        }
      }
    }
  }
  const representable = cases.filter((o) => signAkamaiToken(o, nodeCdnCrypto).ok);

  it(`matches the reference token for ${representable.length} combinations`, () => {
    expect(representable.length).toBeGreaterThan(300);
    for (const o of representable) expect(ours(o), JSON.stringify(o)).toBe(reference(o));
  });

  it(`matches the reference token for the same ${representable.length} combinations on WebCrypto (HMAC-MD5 in JS), and refuses the same others`, async () => {
    const webCrypto = webCryptoCdnCrypto();
    for (const o of cases) {
      const verdict = await signAkamaiTokenAsync(o, webCrypto);
      expect(verdict, JSON.stringify(o)).toEqual(representable.includes(o) ? { ok: true, value: reference(o) } : signAkamaiToken(o, nodeCdnCrypto));
    }
  });

  it('refuses the combinations whose fields would hold the field delimiter, which the reference emits ambiguously', () => {
    // e.g. an unescaped "~" in a URL or payload: the edge would split the token there.
    const refused = cases.filter((o) => !signAkamaiToken(o, nodeCdnCrypto).ok);
    expect(refused.length).toBeGreaterThan(0);
    for (const o of refused) {
      const delimiter = o.fieldDelimiter ?? '~';
      const values = [o.url, o.payload, o.ip, o.sessionId].filter((v): v is string => v !== undefined);
      expect(values.some((v) => v.includes(delimiter)), JSON.stringify(o)).toBe(true);
      expect(o.escapeEarly && delimiter === '~', JSON.stringify(o)).toBe(false);
    }
  });

  it('reproduces the worked example akamai-01 (key 52a1…, st 1700000000, window 300)', () => {
    expect(ours({ key: KEY, acl: '/vod/movie1/*', start: 1700000000, expires: 1700000300 })).toBe(
      'st=1700000000~exp=1700000300~acl=/vod/movie1/*~hmac=af8d3005a7395a8e04d029dd597aef924355536588a731ddc475b08169bac228',
    );
  });

  it('reads its options and never writes them, unlike akamai-edgeauth, which writes its defaults into the caller\'s object', () => {
    const given = { key: KEY, endTime: 1700000300 };
    new EdgeAuth(given).generateACLToken('/a/*');
    expect(given).toMatchObject({ tokenName: '__token__', algorithm: 'sha256', fieldDelimiter: '~' }); // the reference's state
    const options = Object.freeze({ key: KEY, acl: '/a/*', expires: 1700000300 });
    expect(ours(options)).toBe(ours(options)); // frozen: a write would throw
    expect(ours({ ...options, expires: 1700000400 })).not.toBe(ours(options));
  });

  it('puts the token in the URL under its token name', () => {
    const token = ours({ key: KEY, acl: '/vod/*', expires: 1700000300 });
    expect(akamaiSignedUrl('https://cdn.example.com/vod/a.m3u8', token)).toBe(`https://cdn.example.com/vod/a.m3u8?__token__=${token}`);
    expect(akamaiSignedUrl('https://cdn.example.com/vod/a.m3u8?x=1', token, 'hdnts')).toBe(`https://cdn.example.com/vod/a.m3u8?x=1&hdnts=${token}`);
  });

  it('refuses a bad key, both or neither of acl and url, an expiry not after the start, and bad delimiters', () => {
    const base = { key: KEY, acl: '/a/*', expires: 1700000300 };
    for (const bad of [
      { ...base, key: 'xyz' },
      { ...base, key: 'abc' },
      { ...base, url: '/a' },
      { key: KEY, expires: 1700000300 },
      { ...base, start: 1700000300 },
      { ...base, fieldDelimiter: '=' },
      { ...base, fieldDelimiter: '~~' },
      { ...base, acl: '/a!b' },
      { ...base, acl: [] },
    ]) {
      expect(signAkamaiToken(bad, nodeCdnCrypto), JSON.stringify(bad)).toMatchObject({ ok: false, code: 'bad_request' });
    }
  });
});

describe('Akamai escape-early against akamai-edgeauth on generated fields', () => {
  let seed = 0xa4a1;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const ALPHABET = ['a', 'Z', '0', ' ', '%', '%2F', 'é', '✓', '😀', "'", '(', ')', '!', '~', '*', '+', '&', '=', '/', '?', '#', ';', ':', '@'];
  const text = (n: number) => Array.from({ length: 1 + (next() % n) }, () => ALPHABET[next() % ALPHABET.length]).join('');

  it('makes the same URL tokens for 300 generated paths, session ids and payloads', () => {
    for (let i = 0; i < 300; i++) {
      const o: AkamaiOptions = { key: KEY, url: `/${text(12)}`, sessionId: text(8), payload: text(8), expires: 1700000300 + i, escapeEarly: true };
      expect(ours(o), JSON.stringify(o)).toBe(reference(o));
    }
  });
});
