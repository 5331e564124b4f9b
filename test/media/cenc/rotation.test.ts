/**
 * Key rotation and IV options: a fragment may name its own KID in a 'seig' sample group; a
 * Period may instead get its own init segment; 16-byte and counter IVs play in ffmpeg too.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { type IvSource, commonPssh, counterIvs, decryptSegment, encryptInit, encryptSegment, randomIvs, readInit } from '../../../src/media/cenc/index.js';
import { concat, frameMd5, useClearMedia } from './media.js';
import { expectSameBytes, trafs } from './inspect.js';

const media = useClearMedia();
const a = { kid: new Uint8Array(randomBytes(16)), key: new Uint8Array(randomBytes(16)) };
const b = { kid: new Uint8Array(randomBytes(16)), key: new Uint8Array(randomBytes(16)) };
const hex = (x: Uint8Array): string => Buffer.from(x).toString('hex');
const keyFor = (kid: Uint8Array): Uint8Array | undefined => [a, b].find((k) => hex(k.kid) === hex(kid))?.key;

it('rotates keys between fragments of one file with a seig sample group per fragment', () => {
  const nalLengthSize = readInit(media.video.init).nalLengthSize;
  const [first, second] = media.video.segments;
  const ivs = { a: randomIvs(), b: randomIvs() };
  const encA = encryptSegment(first!, { key: a.key, kid: a.kid, trackKind: 'video', nalLengthSize, ivSource: ivs.a });
  const encB = encryptSegment(second!, { key: b.key, kid: b.kid, trackKind: 'video', nalLengthSize, ivSource: ivs.b });
  expect(trafs(encB)[0]!.traf.children!.map((c) => c.type)).toEqual(['tfhd', 'tfdt', 'trun', 'sbgp', 'sgpd', 'saiz', 'saio', 'senc']);
  const sgpd = trafs(encB)[0]!.traf.children!.find((c) => c.type === 'sgpd')!;
  expect(hex(sgpd.body)).toBe('01000000' + hex(Buffer.from('seig')) + '00000014' + '00000001' + '00000108' + hex(b.kid));

  const protection = { defaultKid: a.kid, perSampleIvSize: 8 };
  expectSameBytes(decryptSegment(encA, { ...protection, keyFor }), first!);
  expectSameBytes(decryptSegment(encB, { ...protection, keyFor }), second!);
  const onlyA = { ...protection, keyFor: (kid: Uint8Array) => (hex(kid) === hex(a.kid) ? a.key : undefined) };
  expect(() => decryptSegment(encB, onlyA)).toThrow(`no content key for KID ${hex(b.kid)}`);
});

it('rotates keys between Periods with an init segment per key', () => {
  const initB = encryptInit(media.video.init, { kid: b.kid, psshBoxes: [commonPssh([b.kid])] });
  expect(readInit(initB).protection?.defaultKid).toEqual(b.kid);
});

async function playsInFfmpeg(name: string, ivSize: 8 | 16, ivSource: IvSource, kid?: Uint8Array): Promise<void> {
  const { nalLengthSize } = readInit(media.video.init);
  const init = encryptInit(media.video.init, { kid: a.kid, perSampleIvSize: ivSize });
  const segments = media.video.segments.map((s) => encryptSegment(s, { key: a.key, kid, trackKind: 'video', nalLengthSize, ivSource }));
  const clearFile = join(media.dir, `${name}-clear.mp4`);
  const encFile = join(media.dir, `${name}.mp4`);
  await writeFile(clearFile, concat([media.video.init, ...media.video.segments]));
  await writeFile(encFile, concat([init, ...segments]));
  expect(await frameMd5(encFile, { key: a.key, copy: true })).toBe(await frameMd5(clearFile, { copy: true }));
}

it('plays in ffmpeg with seig groups present', () => playsInFfmpeg('seig', 8, randomIvs(), a.kid), 30_000);

it('plays in ffmpeg with 16-byte IVs', () => playsInFfmpeg('iv16', 16, () => new Uint8Array(randomBytes(16))), 30_000);

it('plays in ffmpeg with counter IVs', () => playsInFfmpeg('counter', 8, counterIvs(new Uint8Array(randomBytes(8)))), 30_000);
