/**
 * When a media segment plays, read from its own boxes (ISO 14496-12 §8.8): the first traf's
 * tfdt gives its start and the sample durations (trun, else tfhd, else the init's trex
 * default) its length, in the track's timescale. The MPD's SegmentTimeline and the key-rotation
 * Periods are built from these numbers, so they describe exactly the bytes that are published.
 */
import { Mp4Error, Reader } from '../cenc/bytes.js';
import { type Box, child, openBox, readBoxes, readFullHeader } from '../cenc/boxes.js';
import { readTfhd, readTruns } from '../cenc/fragment.js';

export interface Span {
  /** baseMediaDecodeTime of the first sample. */
  readonly start: number;
  readonly duration: number;
}

/** The init segment's trex default_sample_duration (0 when there is no mvex). */
export function trexDefaultDuration(init: Uint8Array): number {
  const moov = readBoxes(init).find((b) => b.type === 'moov');
  if (!moov) throw new Mp4Error('init segment has no moov');
  const mvex = openBox(moov).find((b) => b.type === 'mvex');
  const trex = mvex && openBox(mvex).find((b) => b.type === 'trex');
  if (!trex) return 0;
  const r = new Reader(trex.body, 'trex');
  readFullHeader(r);
  r.advance(8); // track_ID, default_sample_description_index
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
  const defaultDuration = readTfhd(traf).defaultDuration ?? trexDuration;
  let total = 0;
  for (const trun of readTruns(traf)) {
    if (!trun.hasDurations) {
      total += trun.count * defaultDuration;
      continue;
    }
    for (const sample of trun.samples()) total += sample.duration ?? defaultDuration;
  }
  return total;
}
