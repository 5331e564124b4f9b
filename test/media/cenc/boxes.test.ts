import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Mp4Error, Writer } from '../../../src/media/cenc/bytes.js';
import { boxSize, encodeBoxes, fullBody, makeBox, openBox, readBoxes, requirePath } from '../../../src/media/cenc/boxes.js';
import { decryptSegment, encryptSegment, randomIvs } from '../../../src/media/cenc/index.js';
import { sampleAuxInfo } from './inspect.js';
import { buildFragment } from './synthetic.js';

const box = (type: string, payload: number[]): number[] => {
  const size = 8 + payload.length;
  return [size >>> 24, (size >>> 16) & 255, (size >>> 8) & 255, size & 255, ...Buffer.from(type), ...payload];
};

describe('boxes', () => {
  const file = Uint8Array.from([...box('ftyp', [1, 2, 3, 4]), ...box('moov', [...box('mvhd', [9, 9]), ...box('trak', box('tkhd', [7]))])]);

  it('reads one level at a time with absolute offsets, and re-encodes byte for byte', () => {
    const top = readBoxes(file);
    expect(top.map((b) => [b.type, b.start])).toEqual([['ftyp', 0], ['moov', 12]]);
    const moov = top[1]!;
    expect(openBox(moov).map((b) => [b.type, b.start])).toEqual([['mvhd', 20], ['trak', 30]]);
    expect(requirePath(top, ['moov', 'trak', 'tkhd']).start).toBe(38);
    expect(encodeBoxes(top)).toEqual(file);
  });

  it('recomputes every ancestor size when a box is added deep inside', () => {
    const top = readBoxes(file);
    const trak = requirePath(top, ['moov', 'trak']);
    openBox(trak).push(makeBox('free', new Uint8Array(5)));
    const out = encodeBoxes(top);
    expect(out.length).toBe(file.length + 13);
    const again = readBoxes(out);
    expect(boxSize(again[1]!)).toBe(boxSize(readBoxes(file)[1]!) + 13);
    expect(openBox(requirePath(again, ['moov', 'trak'])).map((b) => b.type)).toEqual(['tkhd', 'free']);
  });

  it('keeps 64-bit headers and reads size 0 as "to the end"', () => {
    const large = Uint8Array.from([0, 0, 0, 1, ...Buffer.from('free'), 0, 0, 0, 0, 0, 0, 0, 18, 0xaa, 0xbb]);
    const [read] = readBoxes(large);
    expect(read).toMatchObject({ type: 'free', headerSize: 16 });
    expect(encodeBoxes([read!])).toEqual(large);
    const toEnd = Uint8Array.from([0, 0, 0, 0, ...Buffer.from('mdat'), 1, 2, 3]);
    expect(readBoxes(toEnd)[0]!.body).toEqual(Uint8Array.from([1, 2, 3]));
  });

  it('builds full boxes', () => {
    expect(fullBody(1, 0x020001, Uint8Array.from([5]))).toEqual(Uint8Array.from([1, 2, 0, 1, 5]));
    expect(new Writer().u8(1).u16(0x0203).u24(0x040506).u32(0x0708090a).u64(2 ** 32 + 1).ascii('ab').finish()).toEqual(
      Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0, 1, 0, 0, 0, 1, 97, 98]),
    );
  });

  it('throws Mp4Error for sizes that lie', () => {
    expect(() => readBoxes(Uint8Array.from(box('free', [1]).slice(0, 6)))).toThrow(/truncated/);
    expect(() => readBoxes(Uint8Array.from([0, 0, 0, 99, ...Buffer.from('free')]))).toThrow(/claims 99 bytes but only 8 remain/);
    expect(() => readBoxes(Uint8Array.from([0, 0, 0, 4, ...Buffer.from('free')]))).toThrow(Mp4Error);
    expect(() => requirePath(readBoxes(file), ['moov', 'mvex'])).toThrow(/has no 'mvex'/);
  });
});

describe('fragments built by hand', () => {
  const key = new Uint8Array(randomBytes(16));
  const samples = [randomBytes(100), randomBytes(33), randomBytes(1)].map((b) => new Uint8Array(b));
  const options = { defaultKid: new Uint8Array(16), perSampleIvSize: 8, keyFor: () => key };

  it.each<[string, { twoRuns?: boolean; largeMdat?: boolean }]>([
    ['one trun', {}],
    ['two truns, the second continuing the first', { twoRuns: true }],
    ['a 64-bit mdat header', { largeMdat: true }],
  ])('round-trip with %s', (_name, spec) => {
    const clear = buildFragment({ samples, ...spec });
    const enc = encryptSegment(clear, { key, trackKind: 'audio', ivSource: randomIvs() });
    expect(sampleAuxInfo(enc).map((s) => s.size)).toEqual([100, 33, 1]);
    expect(decryptSegment(enc, options)).toEqual(clear);
    const mdat = readBoxes(enc).find((b) => b.type === 'mdat')!;
    expect(mdat.headerSize).toBe(spec.largeMdat ? 16 : 8);
    expect(Buffer.from(mdat.body).includes(Buffer.from(samples[0]!))).toBe(false);
  });

  it('passes an empty traf through untouched', () => {
    const clear = buildFragment({ samples: [] });
    expect(encryptSegment(clear, { key, trackKind: 'audio', ivSource: randomIvs() })).toEqual(clear);
  });
});
