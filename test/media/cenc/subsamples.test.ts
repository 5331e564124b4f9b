import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Mp4Error } from '../../../src/media/cenc/bytes.js';
import { applyCtr, counterIvs, randomIvs } from '../../../src/media/cenc/ctr.js';
import { avcSubsamples, encodeAuxInfo } from '../../../src/media/cenc/subsamples.js';

/** An AVC sample from [nal_unit_type, total NAL size] pairs, with `lengthSize`-byte lengths. */
function avcSample(nals: [number, number][], lengthSize = 4): Uint8Array {
  const parts = nals.map(([type, size]) => {
    const nal = new Uint8Array(randomBytes(size));
    nal[0] = 0x60 | type;
    const length = Buffer.alloc(lengthSize);
    length.writeUIntBE(size, 0, lengthSize);
    return Buffer.concat([length, nal]);
  });
  return new Uint8Array(Buffer.concat(parts));
}

const SEI = 6, IDR = 5, SLICE = 1, SPS = 7, PPS = 8, AUD = 9;

describe('avcSubsamples', () => {
  it('leaves lengths, NAL headers and non-VCL units clear, protecting whole blocks of slice data', () => {
    // (100 - 1) % 16 = 3 bytes of slice data stay clear so 96 protected bytes are whole blocks.
    expect(avcSubsamples(avcSample([[AUD, 2], [SPS, 20], [PPS, 5], [SEI, 30], [IDR, 100]]), 4)).toEqual([
      { clear: 4 + 2 + 4 + 20 + 4 + 5 + 4 + 30 + 4 + 1 + 3, protected: 96 },
    ]);
  });

  it('makes one subsample per slice of a multi-slice picture', () => {
    expect(avcSubsamples(avcSample([[SLICE, 17], [SLICE, 50], [SLICE, 16]]), 4)).toEqual([
      { clear: 5, protected: 16 },
      { clear: 4 + 1 + 1, protected: 48 },
      { clear: 4 + 16, protected: 0 }, // a 16-byte slice has only 15 bytes after its header: too small
    ]);
  });

  it('handles 1- and 2-byte NAL length fields', () => {
    expect(avcSubsamples(avcSample([[IDR, 33]], 1), 1)).toEqual([{ clear: 1 + 1, protected: 32 }]);
    expect(avcSubsamples(avcSample([[IDR, 33]], 2), 2)).toEqual([{ clear: 2 + 1, protected: 32 }]);
  });

  it('splits clear runs longer than 65535 bytes', () => {
    const subs = avcSubsamples(avcSample([[SEI, 70_000], [IDR, 17]]), 4);
    expect(subs).toEqual([
      { clear: 65535, protected: 0 },
      { clear: 4 + 70_000 + 4 + 1 - 65535, protected: 16 },
    ]);
  });

  it('refuses NAL units that overrun the sample', () => {
    const sample = avcSample([[IDR, 40]]);
    expect(() => avcSubsamples(sample.subarray(0, 30), 4)).toThrow(Mp4Error);
    expect(() => avcSubsamples(sample.subarray(0, 2), 4)).toThrow(/truncated/);
  });

  it('refuses more subsamples than saiz can size', () => {
    const slices = avcSample(Array.from({ length: 41 }, (): [number, number] => [SLICE, 40]));
    const subsamples = avcSubsamples(slices, 4);
    expect(subsamples).toHaveLength(41);
    expect(() => encodeAuxInfo({ iv: new Uint8Array(8), subsamples })).toThrow(/saiz allows 255/);
    expect(encodeAuxInfo({ iv: new Uint8Array(8), subsamples: subsamples.slice(0, 40) })).toHaveLength(250);
  });
});

describe('applyCtr', () => {
  it('matches NIST SP 800-38A F.5.1 (CTR-AES128) with a 16-byte IV', () => {
    const key = Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex');
    const iv = Buffer.from('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff', 'hex');
    const data = new Uint8Array(Buffer.from('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51', 'hex'));
    applyCtr(key, iv, data);
    expect(Buffer.from(data).toString('hex')).toBe('874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff');
  });

  it('uses IV || 0^64 as the counter and continues one key stream across subsamples, mid-block', () => {
    const key = randomBytes(16);
    const iv = new Uint8Array(randomBytes(8));
    const clear = new Uint8Array(randomBytes(90));
    const subsamples = [{ clear: 3, protected: 21 }, { clear: 7, protected: 5 }, { clear: 10, protected: 44 }];
    const sample = clear.slice();
    applyCtr(key, iv, sample, subsamples);

    const protectedParts = Buffer.concat([clear.subarray(3, 24), clear.subarray(31, 36), clear.subarray(46, 90)]);
    const stream = createCipheriv('aes-128-ctr', key, Buffer.concat([iv, Buffer.alloc(8)])).update(protectedParts);
    expect(Buffer.from(sample.subarray(3, 24))).toEqual(stream.subarray(0, 21));
    expect(Buffer.from(sample.subarray(31, 36))).toEqual(stream.subarray(21, 26));
    expect(Buffer.from(sample.subarray(46, 90))).toEqual(stream.subarray(26));
    expect(sample.subarray(0, 3)).toEqual(clear.subarray(0, 3));
    expect(sample.subarray(24, 31)).toEqual(clear.subarray(24, 31));

    applyCtr(key, iv, sample, subsamples);
    expect(sample).toEqual(clear);
  });

  it('refuses subsample maps that do not cover the sample exactly', () => {
    const sample = new Uint8Array(10);
    expect(() => applyCtr(randomBytes(16), new Uint8Array(8), sample, [{ clear: 2, protected: 5 }])).toThrow(/cover 7 bytes of a 10-byte sample/);
    expect(() => applyCtr(randomBytes(16), new Uint8Array(8), sample, [{ clear: 2, protected: 50 }])).toThrow(Mp4Error);
  });
});

describe('IV sources', () => {
  it('counts big-endian from the start and wraps at 2^64', () => {
    const next = counterIvs(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0xff]));
    expect(Buffer.from(next()).toString('hex')).toBe('00000000000000ff');
    expect(Buffer.from(next()).toString('hex')).toBe('0000000000000100');
    const wrap = counterIvs(new Uint8Array(8).fill(0xff));
    wrap();
    expect(Buffer.from(wrap()).toString('hex')).toBe('0000000000000000');
    expect(() => counterIvs(new Uint8Array(4))).toThrow(/8 bytes/);
  });

  it('gives fresh random 8-byte IVs', () => {
    const next = randomIvs();
    const ivs = Array.from({ length: 1000 }, () => Buffer.from(next()).toString('hex'));
    expect(ivs.every((iv) => iv.length === 16)).toBe(true);
    expect(new Set(ivs).size).toBe(1000);
  });
});
