/**
 * When a media segment plays, read from its own boxes (ISO 14496-12 §8.8): the first traf's
 * tfdt gives its start and the sample durations (trun, else tfhd, else the init's trex
 * default) its length, in the track's timescale. The MPD's SegmentTimeline and the key-rotation
 * Periods are built from these numbers, so they describe exactly the bytes that are published.
 */
import { Mp4Error, Reader } from '../cenc/bytes.js';
import { type Box, child, openBox, readBoxes, readFullHeader, requireChild } from '../cenc/boxes.js';

export interface Span {
  /** baseMediaDecodeTime of the first sample. */
  readonly start: number;
  readonly duration: number;
}

const TFHD_BASE_DATA_OFFSET = 0x1;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x2;
const TFHD_DEFAULT_DURATION = 0x8;
const TRUN_DATA_OFFSET = 0x1;
const TRUN_FIRST_SAMPLE_FLAGS = 0x4;
const TRUN_DURATION = 0x100;
const TRUN_FIELDS = [TRUN_DURATION, 0x200, 0x400, 0x800]; // duration, size, flags, composition offset

/** The init segment's trex default_sample_duration (0 when there is no mvex). */
export function trexDefaultDuration(init: Uint8Array): number {
  const moov = readBoxes(init).find((b) => b.type === 'moov');
  if (!moov) throw new Mp4Error('init segment has no moov');
  const mvex = openBox(moov).find((b) => b.type === 'mvex');
  const trex = mvex && openBox(mvex).find((b) => b.type === 'trex');
  if (!trex) return 0;
  const r = new Reader(trex.body, 'trex');
  readFullHeader(r);
  r.skip(8); // track_ID, default_sample_description_index
  return r.u32();
}

export function segmentSpan(segment: Uint8Array, trexDuration: number): Span {
  let start: number | undefined;
  let duration = 0;
  for (const moof of readBoxes(segment).filter((b) => b.type === 'moof')) {
    for (const traf of openBox(moof).filter((b) => b.type === 'traf')) {
      openBox(traf);
      start ??= decodeTime(traf);
      duration += trafDuration(traf, trexDuration);
    }
  }
  if (start === undefined) throw new Mp4Error('segment has no moof/traf');
  return { start, duration };
}

function decodeTime(traf: Box): number {
  const tfdt = child(traf, 'tfdt');
  if (!tfdt) throw new Mp4Error('traf has no tfdt: cannot place the segment on a timeline');
  const r = new Reader(tfdt.body, 'tfdt');
  return readFullHeader(r).version === 1 ? r.u64() : r.u32();
}

function trafDuration(traf: Box, trexDuration: number): number {
  const tfhd = new Reader(requireChild(traf, 'tfhd').body, 'tfhd');
  const { flags } = readFullHeader(tfhd);
  tfhd.skip(4); // track_ID
  if (flags & TFHD_BASE_DATA_OFFSET) tfhd.skip(8);
  if (flags & TFHD_SAMPLE_DESCRIPTION_INDEX) tfhd.skip(4);
  const defaultDuration = flags & TFHD_DEFAULT_DURATION ? tfhd.u32() : trexDuration;
  let total = 0;
  for (const trun of traf.children!.filter((c) => c.type === 'trun')) {
    const r = new Reader(trun.body, 'trun');
    const run = readFullHeader(r);
    const count = r.u32();
    if (run.flags & TRUN_DATA_OFFSET) r.skip(4);
    if (run.flags & TRUN_FIRST_SAMPLE_FLAGS) r.skip(4);
    if (!(run.flags & TRUN_DURATION)) {
      total += count * defaultDuration;
      continue;
    }
    const fields = TRUN_FIELDS.filter((f) => run.flags & f).length;
    r.count(count, fields * 4, 'samples');
    for (let i = 0; i < count; i++) {
      total += r.u32();
      r.skip((fields - 1) * 4);
    }
  }
  return total;
}
