/** Test-side readers for checking encrypted output box by box. */
import { expect } from 'vitest';
import { Reader } from '../../../src/media/cenc/bytes.js';
import { type Box, child, openBox, readBoxes, readFullHeader } from '../../../src/media/cenc/boxes.js';
import { readTrackFragment } from '../../../src/media/cenc/fragment.js';
import { type Subsample, readAuxInfo } from '../../../src/media/cenc/subsamples.js';

export function topBoxes(bytes: Uint8Array): { type: string; size: number }[] {
  return readBoxes(bytes).map((b) => ({ type: b.type, size: b.headerSize + b.body.length }));
}

export function topTypes(bytes: Uint8Array): string[] {
  return topBoxes(bytes).map((b) => b.type);
}

export function mdatPayloads(segment: Uint8Array): Uint8Array[] {
  return readBoxes(segment).filter((b) => b.type === 'mdat').map((b) => b.body);
}

/** The opened trafs of every moof, with the moof's start. */
export function trafs(segment: Uint8Array): { moof: Box; traf: Box }[] {
  return readBoxes(segment)
    .filter((b) => b.type === 'moof')
    .flatMap((moof) => openBox(moof).filter((b) => b.type === 'traf').map((traf) => ({ moof, traf: (openBox(traf), traf) })));
}

export interface SampleView {
  /** Offset of the sample in the first mdat's payload after its moof. */
  offset: number;
  size: number;
  iv: Uint8Array;
  subsamples?: Subsample[];
}

/** Samples of a single-moof segment with their senc entries (8-byte IVs). */
export function sampleAuxInfo(segment: Uint8Array): SampleView[] {
  const top = readBoxes(segment);
  const mdat = top.find((b) => b.type === 'mdat')!;
  return trafs(segment).flatMap(({ moof, traf }) => {
    const { samples } = readTrackFragment(traf, moof.start, true, segment.length);
    const r = new Reader(child(traf, 'senc')!.body, 'senc');
    const { flags } = readFullHeader(r);
    r.u32();
    return samples.map((s) => ({
      offset: s.offset - (mdat.start + mdat.headerSize),
      size: s.size,
      ...readAuxInfo(r, 8, (flags & 2) !== 0),
    }));
  });
}

/** referenced_size of every reference of every sidx. */
export function sidxSizes(segment: Uint8Array): number[] {
  return readBoxes(segment)
    .filter((b) => b.type === 'sidx')
    .flatMap((sidx) => {
      const r = new Reader(sidx.body, 'sidx');
      const { version } = readFullHeader(r);
      r.advance(version === 0 ? 16 : 24);
      r.advance(2);
      const count = r.u16();
      return Array.from({ length: count }, () => {
        const size = r.u32() & 0x7fffffff;
        r.advance(8);
        return size;
      });
    });
}

/** Byte equality that reports the first difference instead of dumping kilobytes. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  const where = at === actual.length && at === expected.length ? 'equal' : `differ at ${at} (lengths ${actual.length}, ${expected.length})`;
  expect(where).toBe('equal');
}
