/**
 * The boxes a browser reads: encv/enca + sinf + tenc in the init segment, pssh for EME, and
 * per fragment saiz/saio/senc that agree with trun — including proof that ffmpeg follows saio.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Reader } from '../../../src/media/cenc/bytes.js';
import { type Box, child, openBox, readBoxes, readFullHeader, requirePath } from '../../../src/media/cenc/boxes.js';
import { Mp4Error, decryptSegment, encryptInit, encryptSegment, randomIvs, readInit } from '../../../src/media/cenc/index.js';
import { CLEARKEY_SYSTEM_ID, COMMON_SYSTEM_ID, clearKeyPssh, commonPssh } from '../../../src/media/cenc/pssh.js';
import { concat, ffmpeg, useClearMedia } from './media.js';
import { sampleAuxInfo, trafs } from './inspect.js';

const media = useClearMedia();
const key = new Uint8Array(randomBytes(16));
const kid = new Uint8Array(randomBytes(16));

function sampleEntry(init: Uint8Array): Box {
  const stbl = requirePath(readBoxes(init), ['moov', 'trak', 'mdia', 'minf', 'stbl']);
  const stsd = openBox(stbl).find((b) => b.type === 'stsd')!;
  return openBox(stsd, 8)[0]!;
}

describe.each([
  ['video', 'encv', 'avc1'],
  ['audio', 'enca', 'mp4a'],
] as const)('%s init segment', (kind, protectedType, format) => {
  it(`becomes ${protectedType} with sinf{frma, schm cenc 1.0, schi{tenc}}`, () => {
    const enc = encryptInit(media[kind].init, { kid, perSampleIvSize: 8, psshBoxes: [commonPssh([kid]), clearKeyPssh([kid])] });
    const entry = sampleEntry(enc);
    expect(entry.type).toBe(protectedType);
    openBox(entry, kind === 'video' ? 78 : 28);
    const sinf = child(entry, 'sinf')!;
    openBox(sinf);
    expect(Buffer.from(child(sinf, 'frma')!.body).toString('latin1')).toBe(format);
    expect(Buffer.from(child(sinf, 'schm')!.body).toString('hex')).toBe('00000000' + Buffer.from('cenc').toString('hex') + '00010000');
    const tenc = openBox(child(sinf, 'schi')!).find((b) => b.type === 'tenc')!;
    expect(Buffer.from(tenc.body).toString('hex')).toBe('00000000' + '0000' + '01' + '08' + Buffer.from(kid).toString('hex'));
    expect(readInit(enc)).toMatchObject({ kind, format, protection: { defaultKid: kid, perSampleIvSize: 8 } });

    const pssh = openBox(requirePath(readBoxes(enc), ['moov'])).filter((b) => b.type === 'pssh');
    expect(pssh.map((p) => p.body.subarray(4, 20))).toEqual([COMMON_SYSTEM_ID, CLEARKEY_SYSTEM_ID]);
    for (const p of pssh) {
      expect(p.body[0]).toBe(1); // version 1: KID list
      expect(Buffer.from(p.body.subarray(20)).toString('hex')).toBe('00000001' + Buffer.from(kid).toString('hex') + '00000000');
    }
  });
});

describe.each(['video', 'audio'] as const)('%s fragments', (kind) => {
  it('carry saiz, saio and senc that agree with trun and point at the IVs', () => {
    const { nalLengthSize } = readInit(media[kind].init);
    for (const clear of media[kind].segments) {
      const enc = encryptSegment(clear, { key, trackKind: kind, nalLengthSize, ivSource: randomIvs() });
      const top = readBoxes(enc);
      const mdat = top.find((b) => b.type === 'mdat')!;
      const aux = sampleAuxInfo(enc);
      for (const { moof, traf } of trafs(enc)) {
        expect(traf.children!.map((c) => c.type)).toEqual(['tfhd', 'tfdt', 'trun', 'saiz', 'saio', 'senc']);
        const trun = new Reader(child(traf, 'trun')!.body, 'trun');
        readFullHeader(trun);
        const sampleCount = trun.u32();
        // trun data_offset (moof-relative) lands on the first byte of mdat's payload.
        expect(moof.start + trun.i32()).toBe(mdat.start + mdat.headerSize);

        const saiz = new Reader(child(traf, 'saiz')!.body, 'saiz');
        readFullHeader(saiz);
        const defaultSize = saiz.u8();
        expect(saiz.u32()).toBe(sampleCount);
        const sizes = defaultSize ? Array<number>(sampleCount).fill(defaultSize) : Array.from({ length: sampleCount }, () => saiz.u8());
        expect(sizes).toEqual(aux.map((a) => 8 + (a.subsamples ? 2 + 6 * a.subsamples.length : 0)));

        const saio = new Reader(child(traf, 'saio')!.body, 'saio');
        readFullHeader(saio);
        expect(saio.u32()).toBe(1);
        const ivAt = moof.start + saio.u32();
        expect(Buffer.from(enc.subarray(ivAt, ivAt + 8))).toEqual(Buffer.from(aux[0]!.iv));

        const senc = child(traf, 'senc')!;
        expect(senc.body[3]).toBe(kind === 'video' ? 2 : 0); // flags: subsamples for video only
        expect(new Reader(senc.body.subarray(4), 'senc').u32()).toBe(sampleCount);
      }
    }
  });
});

it('is read by ffmpeg through saio: moving saio by 8 bytes breaks ffmpeg and decryptSegment', async () => {
  const { nalLengthSize } = readInit(media.video.init);
  const encInit = encryptInit(media.video.init, { kid });
  const [first, ...rest] = media.video.segments.map((s) => encryptSegment(s, { key, trackKind: 'video', nalLengthSize, ivSource: randomIvs() }));
  const broken = Buffer.from(first!);
  const { traf } = trafs(broken)[0]!;
  const saio = child(traf, 'saio')!;
  const field = saio.start + saio.headerSize + 8;
  broken.writeUInt32BE(broken.readUInt32BE(field) + 8, field);

  const file = join(media.dir, 'broken-saio.mp4');
  await writeFile(file, concat([encInit, broken, ...rest]));
  const args = ['-decryption_key', Buffer.from(key).toString('hex'), '-i', file, '-map', '0', '-c', 'copy', '-f', 'framemd5', '-'];
  await expect(ffmpeg(args)).rejects.toThrow(/encryption info|Invalid data/);
  expect(() => decryptSegment(broken, { defaultKid: kid, perSampleIvSize: 8, keyFor: () => key })).toThrow(Mp4Error);
  expect(() => decryptSegment(broken, { defaultKid: kid, perSampleIvSize: 8, keyFor: () => key })).toThrow(/saio points at/);
});
