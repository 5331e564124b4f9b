/**
 * Property tests over random playlists built from pieces (a seeded generator, so failures
 * reproduce): the identity mapper returns the input byte-for-byte, and any mapper changes
 * exactly the URIs the pieces declare, in order, with the declared kinds.
 */
import { describe, expect, it } from 'vitest';
import { rewriteHlsPlaylist, type HlsUriKind } from '../../../src/core/manifest/hls.js';

type Map = (uri: string, kind: HlsUriKind) => string;
/** A piece renders its lines given a mapper; it declares its URIs by calling it. */
type Piece = (m: Map) => string[];

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0; // mulberry32
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

const uris = ['seg.ts', '../x/y.m4s', 'https://cdn.example.com/a/b.ts?x=1&y=2#t', 'keys/k1', 'v/index.m3u8', 'a,b.ts', 'p a t h.ts', 'é.ts'];
const opaque = ['skd://asset-1', 'data:;base64,AAAA', 'SKD://x', 'Data:text/plain,hi'];

function pieces(pick: (n: number) => number): Piece[] {
  const u = (): string => uris[pick(uris.length)]!;
  const o = (): string => opaque[pick(opaque.length)]!;
  return [
    () => ['#EXTM3U'],
    () => ['#EXT-X-VERSION:7'],
    () => ['# a comment, with URI="x"'],
    () => [''],
    () => ['  '],
    () => ['#EXT-X-UNKNOWN:URI="nope",X=1'],
    () => ['#EXT-X-KEY:METHOD=NONE'],
    () => [`#EXT-X-KEY:METHOD=SAMPLE-AES,URI="${o()}",KEYFORMAT="com.apple.streamingkeydelivery"`],
    (m) => [`#EXT-X-KEY:METHOD=AES-128,URI="${m(u(), 'key')}",IV=0x0123456789abcdef0123456789abcdef`],
    (m) => [`#EXT-X-SESSION-KEY:METHOD=AES-128,IV=0x01,URI="${m(u(), 'key')}"`],
    (m) => [`#EXT-X-MAP:URI="${m(u(), 'map')}",BYTERANGE="100@0"`],
    (m) => [`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="x, y",URI="${m(u(), 'media')}"`],
    () => ['#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="CC",INSTREAM-ID="CC1"'],
    (m) => ['#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1.4d401f,mp4a.40.2"', m(u(), 'variant')],
    (m) => [`#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="${m(u(), 'iframe')}"`],
    (m) => ['#EXTINF:6.006,', m(u(), 'segment')],
    (m) => ['#EXTINF:2,', '#EXT-X-BYTERANGE:10@0', m(u(), 'segment')],
    () => ['#EXTINF:2,', o()],
    (m) => [`#EXT-X-PART:DURATION=1,URI="${m(u(), 'segment')}"`],
    (m) => [`#EXT-X-PRELOAD-HINT:TYPE=MAP,URI="${m(u(), 'map')}"`],
    (m) => [`#EXT-X-RENDITION-REPORT:URI="${m(u(), 'media')}",LAST-MSN=1`],
    () => ['#EXT-X-ENDLIST'],
  ];
}

function build(seed: number, m: Map): string {
  const pick = rng(seed);
  const all = pieces(pick);
  const count = pick(40);
  let text = pick(10) === 0 ? '\ufeff' : '';
  const eols = ['\n', '\r\n'];
  for (let i = 0; i < count; i++) {
    const lines = all[pick(all.length)]!(m);
    for (const line of lines) text += line + eols[pick(2)]!;
  }
  return pick(3) === 0 ? text.replace(/\r?\n$/, '') : text;
}

describe('rewriteHlsPlaylist properties', () => {
  it('returns the input unchanged under the identity mapper', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const text = build(seed, (u) => u);
      expect(rewriteHlsPlaylist(text, (u) => u), `seed ${seed}`).toBe(text);
    }
  });

  it('maps exactly the declared URIs, in order, with their kinds', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const declared: [string, HlsUriKind][] = [];
      const expected = build(seed, (u, k) => (declared.push([u, k]), `${u}?tg=T`));
      const seen: [string, HlsUriKind][] = [];
      const actual = rewriteHlsPlaylist(build(seed, (u) => u), (u, k) => (seen.push([u, k]), `${u}?tg=T`));
      expect(actual, `seed ${seed}`).toBe(expected);
      expect(seen, `seed ${seed}`).toEqual(declared);
    }
  });
});
