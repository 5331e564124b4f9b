import { describe, expect, it } from 'vitest';
import { isOpaqueUri, withQueryToken } from '../../../src/core/manifest/uri.js';

const T = 'tgp1.k1.QUJD.xyz-_';

describe('withQueryToken', () => {
  it('appends to relative and absolute URIs', () => {
    expect(withQueryToken('seg_00001.ts', T)).toBe(`seg_00001.ts?tg=${T}`);
    expect(withQueryToken('../keys/kid1', T)).toBe(`../keys/kid1?tg=${T}`);
    expect(withQueryToken('https://cdn.example.com/a/b.m3u8', T)).toBe(`https://cdn.example.com/a/b.m3u8?tg=${T}`);
    expect(withQueryToken('', T)).toBe(`?tg=${T}`);
  });

  it('respects an existing query and fragment', () => {
    expect(withQueryToken('seg.ts?a=1&b=2', T)).toBe(`seg.ts?a=1&b=2&tg=${T}`);
    expect(withQueryToken('seg.ts#t=10', T)).toBe(`seg.ts?tg=${T}#t=10`);
    expect(withQueryToken('seg.ts?a=1#frag?x', T)).toBe(`seg.ts?a=1&tg=${T}#frag?x`);
    expect(withQueryToken('seg.ts?', T)).toBe(`seg.ts?tg=${T}`);
    expect(withQueryToken('seg.ts?a=1&', T)).toBe(`seg.ts?a=1&tg=${T}`);
  });

  it('replaces a stale token of the same name and keeps look-alikes', () => {
    expect(withQueryToken('seg.ts?tg=old&a=1&tg', T)).toBe(`seg.ts?a=1&tg=${T}`);
    expect(withQueryToken('seg.ts?xtg=1&tgx=2', T)).toBe(`seg.ts?xtg=1&tgx=2&tg=${T}`);
    expect(withQueryToken('seg.ts?token=old', T, 'token')).toBe(`seg.ts?token=${T}`);
  });

  it('encodes the name and the token as query components', () => {
    expect(withQueryToken('a', 'x y&z', 'my key')).toBe('a?my%20key=x%20y%26z');
  });

  it('keeps DASH template identifiers and leaves opaque URIs alone', () => {
    expect(withQueryToken('$RepresentationID$/seg_$Number%05d$.m4s', T)).toBe(`$RepresentationID$/seg_$Number%05d$.m4s?tg=${T}`);
    expect(withQueryToken('skd://asset', T)).toBe('skd://asset');
    expect(withQueryToken('data:;base64,AAAA', T)).toBe('data:;base64,AAAA');
  });
});

describe('isOpaqueUri', () => {
  it('recognises data: and skd: case-insensitively, nothing else', () => {
    expect(isOpaqueUri('data:text/plain,x')).toBe(true);
    expect(isOpaqueUri('DATA:x')).toBe(true);
    expect(isOpaqueUri('skd://x')).toBe(true);
    expect(isOpaqueUri('SkD:x')).toBe(true);
    expect(isOpaqueUri('skd')).toBe(false);
    expect(isOpaqueUri('data')).toBe(false);
    expect(isOpaqueUri('https://data:80/')).toBe(false);
    expect(isOpaqueUri('./data:x')).toBe(false);
    expect(isOpaqueUri('')).toBe(false);
  });
});
