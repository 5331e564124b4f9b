/**
 * End-to-end: ffmpeg packages a clear clip, Tollgate encrypts it with one key per track, and
 * both Tollgate's decryptor and ffmpeg's own cenc decryption (an independent implementation)
 * must give back exactly the clear media.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TrackKind, decryptInit, decryptSegment, encryptInit, encryptSegment, randomIvs, readInit } from '../../../src/media/cenc/index.js';
import { clearKeyPssh, commonPssh } from '../../../src/media/cenc/pssh.js';
import { type Track, concat, frameMd5, splitAfterMoov, useClearMedia } from './media.js';
import { expectSameBytes, mdatPayloads, sampleAuxInfo, sidxSizes, topBoxes, topTypes } from './inspect.js';

const media = useClearMedia();
const keys = {
  video: { key: new Uint8Array(randomBytes(16)), kid: new Uint8Array(randomBytes(16)) },
  audio: { key: new Uint8Array(randomBytes(16)), kid: new Uint8Array(randomBytes(16)) },
};
const encrypted: Record<TrackKind, Track> = { video: { init: new Uint8Array(), segments: [] }, audio: { init: new Uint8Array(), segments: [] } };

function encryptTrack(track: Track, kind: TrackKind): Track {
  const { key, kid } = keys[kind];
  const info = readInit(track.init);
  const ivSource = randomIvs();
  return {
    init: encryptInit(track.init, { kid, perSampleIvSize: 8, psshBoxes: [commonPssh([kid]), clearKeyPssh([kid])] }),
    segments: track.segments.map((s) => encryptSegment(s, { key, trackKind: info.kind, nalLengthSize: info.nalLengthSize, ivSource })),
  };
}

beforeAll(async () => {
  encrypted.video = encryptTrack(media.video, 'video');
  encrypted.audio = encryptTrack(media.audio, 'audio');
  for (const kind of ['video', 'audio'] as const) {
    await writeFile(join(media.dir, `clear-${kind}.mp4`), concat([media[kind].init, ...media[kind].segments]));
    await writeFile(join(media.dir, `enc-${kind}.mp4`), concat([encrypted[kind].init, ...encrypted[kind].segments]));
  }
}, 60_000);

describe('clear media from ffmpeg', () => {
  it('has one track per init segment, with the avcC NAL length size', () => {
    expect(media.video.segments.length).toBeGreaterThanOrEqual(2);
    expect(readInit(media.video.init)).toMatchObject({ kind: 'video', format: 'avc1', nalLengthSize: 4 });
    expect(readInit(media.audio.init)).toMatchObject({ kind: 'audio', format: 'mp4a' });
    expect(readInit(media.video.init).protection).toBeUndefined();
  });
});

describe.each(['video', 'audio'] as const)('%s track', (kind) => {
  it('decrypts back to the clear init and segments byte for byte', () => {
    const { key, kid } = keys[kind];
    const protection = readInit(encrypted[kind].init).protection!;
    expect(protection).toEqual({ defaultKid: kid, perSampleIvSize: 8 });
    expectSameBytes(decryptInit(encrypted[kind].init), media[kind].init);
    encrypted[kind].segments.forEach((segment, i) => {
      const clear = decryptSegment(segment, { ...protection, keyFor: (k) => (Buffer.compare(k, kid) === 0 ? key : undefined) });
      expectSameBytes(clear, media[kind].segments[i]!);
    });
  });

  it('changes the protected bytes of every sample, and only those', () => {
    encrypted[kind].segments.forEach((segment, i) => {
      const clearMdat = mdatPayloads(media[kind].segments[i]!)[0]!;
      const encMdat = mdatPayloads(segment)[0]!;
      expect(encMdat.length).toBe(clearMdat.length);
      for (const { offset, size, iv, subsamples } of sampleAuxInfo(segment)) {
        expect(iv.length).toBe(8);
        const ranges = subsamples ?? [{ clear: 0, protected: size }];
        let at = offset;
        for (const r of ranges) {
          expect(Buffer.compare(encMdat.subarray(at, at + r.clear), clearMdat.subarray(at, at + r.clear))).toBe(0);
          at += r.clear;
          if (r.protected > 0) expect(Buffer.compare(encMdat.subarray(at, at + r.protected), clearMdat.subarray(at, at + r.protected))).not.toBe(0);
          at += r.protected;
        }
        expect(at).toBe(offset + size);
      }
    });
  });

  it('plays in ffmpeg with the key: identical decoded frames and packets', async () => {
    const clear = join(media.dir, `clear-${kind}.mp4`);
    const enc = join(media.dir, `enc-${kind}.mp4`);
    const { key } = keys[kind];
    const cleanFrames = await frameMd5(clear);
    expect(cleanFrames.split('\n').filter((l) => l && !l.startsWith('#')).length).toBeGreaterThan(20);
    expect(await frameMd5(enc, { key })).toBe(cleanFrames);
    expect(await frameMd5(enc, { key, copy: true })).toBe(await frameMd5(clear, { copy: true }));
  }, 30_000);

  it('gives ffmpeg only garbage without the right key', async () => {
    const enc = join(media.dir, `enc-${kind}.mp4`);
    const clearPackets = packetHashes(await frameMd5(join(media.dir, `clear-${kind}.mp4`), { copy: true }));
    const other = kind === 'video' ? keys.audio.key : keys.video.key;
    for (const options of [{ copy: true }, { copy: true, key: other }]) {
      const packets = packetHashes(await frameMd5(enc, options));
      expect(packets.length).toBe(clearPackets.length);
      packets.forEach((hash, i) => expect(hash).not.toBe(clearPackets[i]));
    }
  }, 30_000);
});

it('leaves the caller\'s Buffer untouched', () => {
  const segment = media.video.segments[0]!;
  const before = Buffer.from(segment).toString('base64');
  const { key } = keys.video;
  encryptSegment(segment, { key, trackKind: 'video', nalLengthSize: 4, ivSource: randomIvs() });
  expect(Buffer.from(segment).toString('base64')).toBe(before);
});

it('gives every sample of a key its own IV', () => {
  for (const kind of ['video', 'audio'] as const) {
    const ivs = encrypted[kind].segments.flatMap((s) => sampleAuxInfo(s).map((a) => Buffer.from(a.iv).toString('hex')));
    expect(new Set(ivs).size).toBe(ivs.length);
  }
  expect(keys.video.key).not.toEqual(keys.audio.key);
});

it('encrypts a single-file fragmented MP4 (global sidx, mfra) that ffmpeg still plays', async () => {
  const { key, kid } = keys.video;
  const { init, rest } = splitAfterMoov(media.fragmentedFile);
  const encInit = encryptInit(init, { kid, psshBoxes: [commonPssh([kid])] });
  const encRest = encryptSegment(rest, { key, trackKind: 'video', nalLengthSize: readInit(init).nalLengthSize, ivSource: randomIvs() });
  expect(topTypes(rest)).toContain('mfra');
  expect(topTypes(encRest)).not.toContain('mfra');
  // sidx sizes follow the grown moofs: each reference is exactly one moof + mdat pair.
  expect(sidxSizes(encRest)).toEqual(fragmentSizes(encRest));
  expect(sidxSizes(rest)).toEqual(fragmentSizes(rest));
  const clearFile = join(media.dir, 'fragmented.mp4');
  const encFile = join(media.dir, 'fragmented-enc.mp4');
  await writeFile(encFile, concat([encInit, encRest]));
  expect(await frameMd5(encFile, { key, copy: true })).toBe(await frameMd5(clearFile, { copy: true }));
  expect(await frameMd5(encFile, { key })).toBe(await frameMd5(clearFile));
}, 30_000);

function packetHashes(framemd5: string): string[] {
  return framemd5.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(',').at(-1)!.trim());
}

/** Sizes of consecutive moof+mdat pairs. */
function fragmentSizes(segment: Uint8Array): number[] {
  const sizes: number[] = [];
  for (const box of topBoxes(segment)) {
    if (box.type === 'moof') sizes.push(box.size);
    else if (box.type === 'mdat') sizes[sizes.length - 1]! += box.size;
  }
  return sizes;
}
