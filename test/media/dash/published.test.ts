// Reading a published MPD back (src/media/dash/published.ts): tracing a DASH-only watermarked
// title picks the lowest video Representation and decrypts each segment under its Period's init.
import { describe, expect, it } from 'vitest';
import { formatMpd, type MpdRepresentation } from '../../../src/media/dash/mpd.js';
import { lowestVideoRepresentation, periodOfSegment } from '../../../src/media/dash/published.js';

const KID = (n: number) => n.toString(16).padStart(32, '0');

/** 2 s segments numbered from 1, `count` of them, split into Periods of `perPeriod` segments. */
function rep(id: string, kind: 'video' | 'audio', count: number, perPeriod: number, height?: number): MpdRepresentation {
  const segments = Array.from({ length: count }, (_, i) => ({ number: i + 1, path: '', start: i * 2000, duration: 2000, period: Math.floor(i / perPeriod), bytes: 1 }));
  const periods = Math.ceil(count / perPeriod);
  return {
    id,
    kind,
    codecs: kind === 'video' ? 'avc1.4d401e' : 'mp4a.40.2',
    bandwidth: 1,
    ...(kind === 'video' ? { width: (height! * 16) / 9, height } : { sampleRate: 48000, channels: 2 }),
    timescale: 1000,
    segments,
    kids: Array.from({ length: periods }, (_, p) => KID(p + (height ?? 0) * 100)),
  };
}

function mpd(reps: MpdRepresentation[], rotationSec?: number): string {
  const periods = Math.max(...reps.map((r) => r.kids.length));
  return formatMpd({ durationSec: 22, minBufferSec: 2, rotationSec, pssh: Array.from({ length: periods }, () => new Uint8Array(8)), representations: reps });
}

describe('lowestVideoRepresentation', () => {
  it('picks the video Representation with the fewest lines, whatever the order, never the audio', () => {
    const found = lowestVideoRepresentation(mpd([rep('audio', 'audio', 11, 11), rep('720p', 'video', 11, 11, 720), rep('360p', 'video', 11, 11, 360)]));
    expect(found).toEqual({ id: '360p', height: 360, periodStarts: [1] });
  });

  it('gives each key-rotation Period its first segment, and each segment its Period', () => {
    const found = lowestVideoRepresentation(mpd([rep('720p', 'video', 11, 5, 720), rep('360p', 'video', 11, 5, 360), rep('audio', 'audio', 11, 5)], 10))!;
    expect(found.periodStarts).toEqual([1, 6, 11]);
    expect([1, 5, 6, 10, 11].map((n) => periodOfSegment(found, n))).toEqual([0, 0, 1, 1, 2]);
  });

  it('finds nothing in an MPD without video', () => {
    expect(lowestVideoRepresentation(mpd([rep('audio', 'audio', 4, 4)]))).toBeUndefined();
    expect(lowestVideoRepresentation('<MPD/>')).toBeUndefined();
  });
});
