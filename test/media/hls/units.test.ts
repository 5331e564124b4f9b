// Pure parts of HLS packaging: ladder planning, IVs, bandwidth, playlist parsing and writing.
import { createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { measureBandwidth } from '../../../src/media/hls/bandwidth.js';
import { encryptSegment, sequenceIv } from '../../../src/media/hls/encrypt.js';
import { planLadder } from '../../../src/media/hls/ladder.js';
import {
  formatMediaPlaylist,
  parseMediaPlaylist,
  parseMultivariantPlaylist,
} from '../../../src/media/hls/playlist.js';

const sizes = (source: { width: number; height: number }) =>
  planLadder(source).map((r) => `${r.name}:${r.width}x${r.height}:${r.profile}`);

describe('planLadder', () => {
  it('takes the rungs up to the source height', () => {
    expect(sizes({ width: 1920, height: 1080 })).toEqual([
      '240p:426x240:main',
      '480p:854x480:main',
      '720p:1280x720:high',
      '1080p:1920x1080:high',
    ]);
    expect(sizes({ width: 3840, height: 2160 })).toHaveLength(4);
    expect(sizes({ width: 1280, height: 720 })).toEqual(['240p:426x240:main', '480p:854x480:main', '720p:1280x720:high']);
    expect(sizes({ width: 640, height: 360 })).toEqual(['240p:426x240:main']);
  });

  it('keeps one rung at the source size below 240p, and widths even', () => {
    expect(sizes({ width: 320, height: 180 })).toEqual(['180p:320x180:main']);
    expect(sizes({ width: 175, height: 131 })).toEqual(['130p:174x130:main']);
    expect(sizes({ width: 1440, height: 1080 }).at(0)).toBe('240p:320x240:main');
    expect(sizes({ width: 1080, height: 1920 }).at(-1)).toBe('1080p:608x1080:high');
    for (const r of planLadder({ width: 1001, height: 999 })) expect(r.width % 2).toBe(0);
  });
});

describe('sequenceIv', () => {
  it('is the media sequence number, big-endian in 16 bytes, all 64 bits kept', () => {
    expect(sequenceIv(0n).toString('hex')).toBe('0'.repeat(32));
    expect(sequenceIv(9n).toString('hex')).toBe(`${'0'.repeat(31)}9`);
    expect(sequenceIv(2n ** 64n - 1n).toString('hex')).toBe(`${'0'.repeat(16)}${'f'.repeat(16)}`);
    expect(() => sequenceIv(2n ** 64n)).toThrow(RangeError);
    expect(() => sequenceIv(-1n)).toThrow(RangeError);
  });

  it('drives AES-128-CBC with PKCS#7 padding', () => {
    const key = Buffer.alloc(16, 7);
    const clear = Buffer.alloc(188 * 3, 0x47);
    const encrypted = encryptSegment(clear, key, 5n);
    expect(encrypted.length).toBe(576); // 564 padded to the next 16-byte block
    const decipher = createDecipheriv('aes-128-cbc', key, sequenceIv(5n));
    expect(Buffer.concat([decipher.update(encrypted), decipher.final()]).equals(clear)).toBe(true);
  });
});

describe('measureBandwidth', () => {
  it('judges a short tail with its neighbour, per RFC 8216 §4.3.4.2', () => {
    const segments = [
      { durationSec: 4, bytes: 400_000 }, // 800 kbit/s
      { durationSec: 4, bytes: 500_000 }, // 1 Mbit/s
      { durationSec: 0.2, bytes: 60_000 }, // 2.4 Mbit/s alone, but shorter than half a target
    ];
    const { peak, average } = measureBandwidth(segments, 4);
    expect(peak).toBe(Math.ceil((560_000 * 8) / 4.2)); // the 1 Mbit/s segment with the tail
    expect(average).toBe(Math.ceil((960_000 * 8) / 8.2));
  });
});

describe('playlists', () => {
  const clear = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000000,\nseg-0.ts\n#EXTINF:1.5,\nseg-1.ts\n#EXT-X-ENDLIST\n';

  it('reads a clear media playlist', () => {
    expect(parseMediaPlaylist(clear, 'p')).toEqual([
      { uri: 'seg-0.ts', durationSec: 2 },
      { uri: 'seg-1.ts', durationSec: 1.5 },
    ]);
  });

  it('refuses what it cannot encrypt safely', () => {
    const refuse = (text: string) => expect(() => parseMediaPlaylist(text, 'p')).toThrow(/p/);
    refuse(clear.replace('seg-1.ts', '../../etc/passwd'));
    refuse(clear.replace('seg-1.ts', 'http://evil.example/x.ts'));
    refuse(clear.replace('seg-1.ts', '.hidden.ts'));
    refuse(clear.replace('#EXT-X-VERSION:3', '#EXT-X-KEY:METHOD=AES-128,URI="k"'));
    refuse(clear.replace('#EXT-X-VERSION:3', '#EXT-X-MAP:URI="init.mp4"'));
    refuse(clear.replace('#EXTINF:1.5,\n', ''));
    refuse('not a playlist');
    refuse('#EXTM3U\n');
  });

  it('reads variants with quoted, comma-bearing attributes', () => {
    const [v] = parseMultivariantPlaylist(
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=2x2,CODECS="avc1.4d401e,mp4a.40.2"\n\nlow/index.m3u8\n',
      'm',
    );
    expect(v?.uri).toBe('low/index.m3u8');
    expect(v?.attributes.get('CODECS')).toBe('avc1.4d401e,mp4a.40.2');
    expect(v?.attributes.get('RESOLUTION')).toBe('2x2');
    expect(() => parseMultivariantPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n../x/index.m3u8\n', 'm')).toThrow();
  });

  it('writes an AES-128 playlist whose target covers every segment', () => {
    const text = formatMediaPlaylist(
      [
        { uri: 'a.ts', durationSec: 4.004 },
        { uri: 'b.ts', durationSec: 2 },
      ],
      '../keys/k1',
    );
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:5',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-KEY:METHOD=AES-128,URI="../keys/k1"',
        '#EXTINF:4.004000,',
        'a.ts',
        '#EXTINF:2.000000,',
        'b.ts',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });
});
