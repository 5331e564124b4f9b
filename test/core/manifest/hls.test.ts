import { describe, expect, it } from 'vitest';
import { rewriteHlsPlaylist, type HlsUriKind } from '../../../src/core/manifest/hls.js';
import { withQueryToken } from '../../../src/core/manifest/uri.js';

/** Rewrites with a mapper that tags each URI with its kind, and records the calls. */
function tagged(text: string): { out: string; calls: [string, HlsUriKind][] } {
  const calls: [string, HlsUriKind][] = [];
  const out = rewriteHlsPlaylist(text, (uri, kind) => {
    calls.push([uri, kind]);
    return `${uri}~${kind}`;
  });
  return { out, calls };
}

const MULTIVARIANT = [
  '#EXTM3U',
  '#EXT-X-VERSION:6',
  '#EXT-X-INDEPENDENT-SEGMENTS',
  '## a comment with URI="not-a-uri.m3u8"',
  '#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI="skd://key-id-1",KEYFORMAT="com.apple.streamingkeydelivery"',
  '#EXT-X-SESSION-KEY:METHOD=AES-128,URI="keys/session"',
  '#EXT-X-SESSION-DATA:DATA-ID="com.example.lyrics",URI="lyrics.json"',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="English, stereo",LANGUAGE="en",DEFAULT=YES,URI="audio/en/index.m3u8"',
  '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="CC1",INSTREAM-ID="CC1"',
  '#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="aac"',
  '720p/index.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=5000000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2",AUDIO="aac"',
  '',
  'https://cdn.example.com/movie1/1080p/index.m3u8?x=1',
  '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=200000,CODECS="avc1.64001f",URI="720p/iframes.m3u8"',
  '#EXT-X-CONTENT-STEERING:SERVER-URI="steering.json",PATHWAY-ID="CDN-A"',
  '#EXT-UNKNOWN-TAG:URI="left-alone"',
  '',
].join('\n');

const MEDIA = [
  '#EXTM3U',
  '#EXT-X-VERSION:7',
  '#EXT-X-TARGETDURATION:6',
  '#EXT-X-MEDIA-SEQUENCE:0',
  '#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"',
  '#EXT-X-KEY:METHOD=AES-128,URI="../keys/kid-0001",IV=0x00000000000000000000000000000001',
  '#EXTINF:6.000,',
  'seg_00001.ts',
  '#EXT-X-KEY:METHOD=NONE',
  '#EXTINF:6.000,title, with comma',
  'seg_00002.ts',
  '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://fairplay-asset",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"',
  '#EXT-X-KEY:METHOD=AES-128,URI="data:text/plain;base64,AAECAwQFBgcICQoLDA0ODw=="',
  '#EXT-X-KEY:METHOD=AES-128,URI="DATA:;base64,AAECAwQFBgcICQoLDA0ODw=="',
  '#EXTINF:6.000,',
  '#EXT-X-BYTERANGE:1000@0',
  'seg_00003.ts',
  '#EXT-X-PART:DURATION=1.0,URI="part_4.0.m4s",INDEPENDENT=YES',
  '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part_4.1.m4s"',
  '#EXT-X-PRELOAD-HINT:URI="init2.mp4",TYPE=MAP',
  '#EXT-X-RENDITION-REPORT:URI="../1080p/index.m3u8",LAST-MSN=4,LAST-PART=1',
  '#EXT-X-ENDLIST',
].join('\n');

describe('rewriteHlsPlaylist', () => {
  it('maps every URI of a multivariant playlist with its kind, and nothing else', () => {
    const { out, calls } = tagged(MULTIVARIANT);
    expect(calls).toEqual([
      ['keys/session', 'key'],
      ['lyrics.json', 'other'],
      ['audio/en/index.m3u8', 'media'],
      ['720p/index.m3u8', 'variant'],
      ['https://cdn.example.com/movie1/1080p/index.m3u8?x=1', 'variant'],
      ['720p/iframes.m3u8', 'iframe'],
      ['steering.json', 'other'],
    ]);
    expect(out).toContain('URI="skd://key-id-1"');
    expect(out).toContain('## a comment with URI="not-a-uri.m3u8"');
    expect(out).toContain('NAME="English, stereo",LANGUAGE="en",DEFAULT=YES,URI="audio/en/index.m3u8~media"');
    expect(out).toContain('#EXT-UNKNOWN-TAG:URI="left-alone"\n');
    // Undo the marks: everything else is byte-for-byte.
    expect(out.replace(/~(variant|media|segment|key|map|iframe|other)/g, '')).toBe(MULTIVARIANT);
  });

  it('maps segments, keys, maps, parts, hints and reports of a media playlist', () => {
    const { out, calls } = tagged(MEDIA);
    expect(calls).toEqual([
      ['init.mp4', 'map'],
      ['../keys/kid-0001', 'key'],
      ['seg_00001.ts', 'segment'],
      ['seg_00002.ts', 'segment'],
      ['seg_00003.ts', 'segment'],
      ['part_4.0.m4s', 'segment'],
      ['part_4.1.m4s', 'segment'],
      ['init2.mp4', 'map'],
      ['../1080p/index.m3u8', 'media'],
    ]);
    expect(out).toContain('#EXT-X-KEY:METHOD=NONE\n');
    expect(out).toContain('URI="skd://fairplay-asset"');
    expect(out).toContain('URI="data:text/plain;base64,AAECAwQFBgcICQoLDA0ODw=="');
    expect(out).toContain('URI="DATA:;base64,');
    expect(out).toContain('#EXT-X-MAP:URI="init.mp4~map",BYTERANGE="720@0"');
    expect(out).toContain('#EXTINF:6.000,title, with comma\nseg_00002.ts~segment\n');
    expect(out.replace(/~(variant|media|segment|key|map|iframe|other)/g, '')).toBe(MEDIA);
  });

  it('maps an I-frame playlist', () => {
    const iframes = '#EXTM3U\n#EXT-X-I-FRAMES-ONLY\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4,\n#EXT-X-BYTERANGE:9400@376\nseg_1.m4s\n';
    const { calls } = tagged(iframes);
    expect(calls).toEqual([
      ['init.mp4', 'map'],
      ['seg_1.m4s', 'segment'],
    ]);
  });

  it('keeps CRLF, mixed line endings, blanks, a BOM and a missing final newline', () => {
    const text = '\ufeff#EXTM3U\r\n#EXT-X-KEY:METHOD=AES-128,URI="k"\r\n\r\n#EXTINF:6,\r\n  seg_1.ts \r\n#EXTINF:6,\nseg_2.ts';
    const { out, calls } = tagged(text);
    expect(calls).toEqual([
      ['k', 'key'],
      ['seg_1.ts', 'segment'],
      ['seg_2.ts', 'segment'],
    ]);
    expect(out).toBe('\ufeff#EXTM3U\r\n#EXT-X-KEY:METHOD=AES-128,URI="k~key"\r\n\r\n#EXTINF:6,\r\n  seg_1.ts~segment \r\n#EXTINF:6,\nseg_2.ts~segment');
  });

  it('parses attribute lists properly', () => {
    const { calls } = tagged(
      [
        '#EXT-X-MEDIA:TYPE=AUDIO,X-URI="not-this",URI="this.m3u8"',
        '#EXT-X-KEY:METHOD=AES-128, URI="spaced"', // tolerated blank after comma
        '#EXT-X-MAP:URI="unterminated', // malformed: left alone
        '#EXT-X-MAP:URI=unquoted.mp4', // not a quoted-string: left alone
        '#EXT-X-KEYFORMAT-LIKE:URI="not-a-uri-tag"',
        '#EXT-X-KEY', // no attribute list
      ].join('\n'),
    );
    expect(calls).toEqual([
      ['this.m3u8', 'media'],
      ['spaced', 'key'],
    ]);
  });

  it('sees the quoted NAME value, not a fake URI attribute inside it', () => {
    const line = '#EXT-X-MEDIA:TYPE=AUDIO,NAME="x,URI=fake",GROUP-ID="g",URI="real.m3u8"';
    expect(tagged(line).calls).toEqual([['real.m3u8', 'media']]);
  });

  it('adds query tokens for query mode without touching skd: or data:', () => {
    const out = rewriteHlsPlaylist(MEDIA, (uri) => withQueryToken(uri, 'tgp1.k1.AAAA.BBBB'));
    expect(out).toContain('#EXT-X-MAP:URI="init.mp4?tg=tgp1.k1.AAAA.BBBB",BYTERANGE="720@0"');
    expect(out).toContain('\nseg_00001.ts?tg=tgp1.k1.AAAA.BBBB\n');
    expect(out).toContain('URI="skd://fairplay-asset"');
    expect(out).toContain('URI="data:text/plain;base64,AAECAwQFBgcICQoLDA0ODw=="');
  });

  it('refuses a mapper result that would break the line or the quotes', () => {
    expect(() => rewriteHlsPlaylist(MEDIA, (uri) => `${uri}\n#EXT-X-ENDLIST`)).toThrow(TypeError);
    expect(() => rewriteHlsPlaylist(MEDIA, (uri, kind) => (kind === 'key' ? `${uri}"` : uri))).toThrow(TypeError);
    expect(() => rewriteHlsPlaylist('#EXTM3U\nseg.ts\n', (uri) => `${uri}\r`)).toThrow(TypeError);
  });

  it('handles empty and degenerate input', () => {
    for (const text of ['', '\n', '\r\n', '#', '#EXTM3U', '\ufeff', ' \t ', '#EXT-X-KEY:', '#EXT-X-KEY:URI=', '#EXT-X-KEY:=,=']) {
      expect(rewriteHlsPlaylist(text, (u) => u)).toBe(text);
    }
  });
});
