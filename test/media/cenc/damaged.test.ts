/**
 * Damaged input gives an Mp4Error naming the problem: never a hang, a RangeError from deep in
 * a DataView, or silently wrong output.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TollgateError } from '../../../src/core/errors.js';
import { child, readBoxes } from '../../../src/media/cenc/boxes.js';
import { Mp4Error, decryptSegment, encryptInit, encryptSegment, randomIvs, readInit } from '../../../src/media/cenc/index.js';
import { useClearMedia } from './media.js';
import { trafs } from './inspect.js';

const media = useClearMedia();
const key = new Uint8Array(randomBytes(16));
const kid = new Uint8Array(randomBytes(16));
const protection = { defaultKid: kid, perSampleIvSize: 8 };

const encryptVideo = (segment: Uint8Array): Uint8Array =>
  encryptSegment(segment, { key, trackKind: 'video', nalLengthSize: 4, ivSource: randomIvs() });

/** A writable copy of the first video segment and the position of one of its boxes. */
function damage(find: (segment: Buffer) => number, change: (segment: Buffer, at: number) => Buffer | void): Buffer {
  const segment = Buffer.from(media.video.segments[0]!);
  return change(segment, find(segment)) ?? segment;
}
const topBox = (type: string) => (s: Buffer) => readBoxes(s).find((b) => b.type === type)!.start;
const trafBox = (type: string) => (s: Buffer) => child(trafs(s)[0]!.traf, type)!.start;

describe('damaged segments', () => {
  it.each([
    ['truncated inside mdat', (s: Buffer) => s.subarray(0, s.length - 100), /'mdat' at \d+ claims \d+ bytes but only \d+ remain/],
    ['truncated inside moof', (s: Buffer) => s.subarray(0, topBox('moof')(s) + 40), /'moof' at \d+ claims/],
    ['truncated in a box header', (s: Buffer) => s.subarray(0, topBox('moof')(s) + 5), /truncated/],
  ])('%s', (_name, cut, message) => {
    const segment = cut(Buffer.from(media.video.segments[0]!));
    expect(() => encryptVideo(segment)).toThrow(Mp4Error);
    expect(() => encryptVideo(segment)).toThrow(message);
  });

  it.each([
    ['moof claims more than the file', topBox('moof'), (s: Buffer, at: number) => void s.writeUInt32BE(s.length, at), /claims/],
    ['traf claims more than its moof', trafBox('tfhd'), (s: Buffer, at: number) => void s.writeUInt32BE(0xffff, at - 8), /claims/],
    ['a box claims 3 bytes', trafBox('tfdt'), (s: Buffer, at: number) => void s.writeUInt32BE(3, at), /impossible size 3/],
    ['a 64-bit size lies', topBox('mdat'), (s: Buffer, at: number) => Buffer.concat([s.subarray(0, at), Buffer.from('00000001', 'hex'), Buffer.from('mdat'), Buffer.from('0000000100000000', 'hex'), s.subarray(at + 8)]), /claims/],
    ['trun claims 4 billion samples', trafBox('trun'), (s: Buffer, at: number) => void s.writeUInt32BE(0xffffffff, at + 12), /claims 4294967295 samples/],
    ['trun data_offset points outside mdat', trafBox('trun'), (s: Buffer, at: number) => void s.writeInt32BE(-500, at + 16), /not inside an mdat/],
    ['a NAL length runs past its sample', topBox('mdat'), (s: Buffer, at: number) => void s.writeUInt32BE(0x7fffff, at + 8), /NAL unit of \d+ bytes overruns/],
    ['tfhd uses absolute base_data_offset', trafBox('tfhd'), (s: Buffer, at: number) => void s.writeUInt8(s.readUInt8(at + 11) | 1, at + 11), /base_data_offset/],
  ])('%s', (_name, find, change, message) => {
    const segment = damage(find, change);
    expect(() => encryptVideo(segment)).toThrow(Mp4Error);
    expect(() => encryptVideo(segment)).toThrow(message);
  });

  it('never hangs or throws anything but Mp4Error on randomly corrupted segments', () => {
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const clear = media.video.segments[0]!;
    const encrypted = encryptVideo(clear);
    const headerBytes = readBoxes(clear).find((b) => b.type === 'mdat')!.start + 16;
    const started = Date.now();
    for (let round = 0; round < 300; round++) {
      const input = Buffer.from(round % 2 ? encrypted : clear);
      for (let k = 0; k < 1 + next(4); k++) input[next(headerBytes)] = next(256); // mostly box headers and fields
      const cut = round % 5 === 0 ? input.subarray(0, next(input.length)) : input;
      for (const run of [() => encryptVideo(cut), () => decryptSegment(cut, { ...protection, keyFor: () => key })]) {
        try {
          run();
        } catch (error) {
          if (!(error instanceof Mp4Error)) throw error;
        }
      }
    }
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('misuse', () => {
  it('refuses to encrypt twice', () => {
    const once = encryptVideo(media.video.segments[0]!);
    expect(() => encryptVideo(once)).toThrow(/already encrypted/);
    const init = encryptInit(media.video.init, { kid });
    expect(() => encryptInit(init, { kid })).toThrow(/already protected/);
  });

  it('refuses to decrypt a clear segment, and names a missing key', () => {
    expect(() => decryptSegment(media.video.segments[0]!, { ...protection, keyFor: () => key })).toThrow(/no senc/);
    const enc = encryptVideo(media.video.segments[0]!);
    const missing = (): Uint8Array => decryptSegment(enc, { ...protection, keyFor: () => undefined });
    expect(missing).toThrow(TollgateError);
    expect(missing).toThrow(`no content key for KID ${Buffer.from(kid).toString('hex')}`);
  });

  it('checks keys, KIDs, IVs and the NAL length size', () => {
    const segment = media.video.segments[0]!;
    expect(() => encryptSegment(segment, { key: key.subarray(0, 8), trackKind: 'audio', ivSource: randomIvs() })).toThrow(/content key must be 16 bytes/);
    expect(() => encryptSegment(segment, { key, trackKind: 'video', ivSource: randomIvs() })).toThrow(/NAL length size/);
    expect(() => encryptSegment(segment, { key, trackKind: 'audio', ivSource: () => new Uint8Array(4) })).toThrow(/8 or 16 bytes/);
    expect(() => encryptInit(media.video.init, { kid: kid.subarray(1) })).toThrow(/KID must be 16 bytes/);
    expect(() => encryptInit(media.video.init, { kid, psshBoxes: [media.video.init] })).toThrow(/one complete pssh box/);
  });

  it('refuses init segments it cannot protect', () => {
    expect(() => encryptInit(media.video.segments[0]!, { kid })).toThrow(/no top-level 'moov'/);
    expect(() => readInit(new Uint8Array([0, 0, 0, 8]))).toThrow(Mp4Error);
  });
});
