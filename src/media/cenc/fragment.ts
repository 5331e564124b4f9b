/**
 * Where a track fragment's samples are (ISO 14496-12 §8.8.7 tfhd, §8.8.8 trun).
 *
 * Only moof-relative addressing is accepted (default-base-is-moof, as CMAF and ffmpeg's dash
 * and default_base_moof output use, or the first traf of a moof without base flags). An explicit
 * tfhd base_data_offset is an absolute file position, meaningless for a segment on its own and
 * wrong as soon as anything before it grows, so it is refused rather than guessed at.
 */
import { Mp4Error, Reader, copyOf } from './bytes.js';
import { type Box, readFullHeader, requireChild } from './boxes.js';

/** A sample's bytes, as absolute offsets in the segment buffer. */
export interface SampleRef {
  offset: number;
  size: number;
}

export interface TrackFragment {
  /** The traf, already opened (its children parsed). */
  traf: Box;
  trackId: number;
  samples: SampleRef[];
}

const TFHD_BASE_DATA_OFFSET = 0x1;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x2;
const TFHD_DEFAULT_DURATION = 0x8;
const TFHD_DEFAULT_SIZE = 0x10;
const TFHD_DEFAULT_FLAGS = 0x20;
const TFHD_DEFAULT_BASE_IS_MOOF = 0x20000;

const TRUN_DATA_OFFSET = 0x1;
const TRUN_FIRST_SAMPLE_FLAGS = 0x4;
const TRUN_DURATION = 0x100;
const TRUN_SIZE = 0x200;
const TRUN_FLAGS = 0x400;
const TRUN_CTS_OFFSET = 0x800;

export interface Tfhd {
  readonly trackId: number;
  readonly defaultBaseIsMoof: boolean;
  readonly defaultDuration?: number;
  readonly defaultSize?: number;
}

/** An opened traf's tfhd; an explicit base_data_offset is refused (see above). */
export function readTfhd(traf: Box): Tfhd {
  const r = new Reader(requireChild(traf, 'tfhd').body, 'tfhd');
  const { flags } = readFullHeader(r);
  const trackId = r.u32();
  if (flags & TFHD_BASE_DATA_OFFSET) {
    throw new Mp4Error('tfhd base_data_offset (absolute file offsets) is not supported; fragment with default_base_moof (CMAF)');
  }
  if (flags & TFHD_SAMPLE_DESCRIPTION_INDEX) r.advance(4);
  const defaultDuration = flags & TFHD_DEFAULT_DURATION ? r.u32() : undefined;
  const defaultSize = flags & TFHD_DEFAULT_SIZE ? r.u32() : undefined;
  if (flags & TFHD_DEFAULT_FLAGS) r.advance(4);
  return { trackId, defaultBaseIsMoof: (flags & TFHD_DEFAULT_BASE_IS_MOOF) !== 0, defaultDuration, defaultSize };
}

/** A sample's trun fields; undefined where the trun leaves it to the tfhd or trex default. */
export interface TrunSample {
  readonly duration?: number;
  readonly size?: number;
}

export interface Trun {
  readonly count: number;
  /** Moof-relative, when given. */
  readonly dataOffset?: number;
  readonly hasDurations: boolean;
  /** Reads the sample table, first checking that `count` entries fit in the box. */
  samples(): Generator<TrunSample>;
}

/** The trun boxes of an opened traf, read one at a time as they are iterated. */
export function* readTruns(traf: Box): Generator<Trun> {
  for (const trun of traf.children!.filter((c) => c.type === 'trun')) yield readTrun(trun);
}

function readTrun(trun: Box): Trun {
  const r = new Reader(trun.body, 'trun');
  const { flags } = readFullHeader(r);
  const count = r.u32();
  const dataOffset = flags & TRUN_DATA_OFFSET ? r.i32() : undefined;
  if (flags & TRUN_FIRST_SAMPLE_FLAGS) r.advance(4);
  function* samples(): Generator<TrunSample> {
    const fields = [TRUN_DURATION, TRUN_SIZE, TRUN_FLAGS, TRUN_CTS_OFFSET].filter((f) => flags & f).length;
    r.count(count, fields * 4, 'samples');
    for (let i = 0; i < count; i++) {
      const duration = flags & TRUN_DURATION ? r.u32() : undefined;
      const size = flags & TRUN_SIZE ? r.u32() : undefined;
      if (flags & TRUN_FLAGS) r.advance(4);
      if (flags & TRUN_CTS_OFFSET) r.advance(4);
      yield { duration, size };
    }
  }
  return { count, dataOffset, hasDurations: (flags & TRUN_DURATION) !== 0, samples };
}

/**
 * Lists the samples of an opened traf. `limit` (the segment length) bounds sample counts, so a
 * lying trun with billions of zero-byte samples cannot make us loop for minutes.
 */
export function readTrackFragment(traf: Box, moofStart: number, firstInMoof: boolean, limit: number): TrackFragment {
  const tfhd = readTfhd(traf);
  if (!tfhd.defaultBaseIsMoof && !firstInMoof) {
    throw new Mp4Error('a second traf in one moof must set default-base-is-moof');
  }
  const samples: SampleRef[] = [];
  let next: number | undefined;
  for (const trun of readTruns(traf)) {
    if (trun.dataOffset !== undefined) next = moofStart + trun.dataOffset;
    if (next === undefined) throw new Mp4Error('the first trun of a traf has no data_offset');
    if (trun.count > limit) throw new Mp4Error(`trun claims ${trun.count} samples in a ${limit}-byte segment`);
    for (const sample of trun.samples()) {
      const size = sample.size ?? tfhd.defaultSize;
      if (size === undefined) throw new Mp4Error('sample sizes are neither in trun nor tfhd (trex defaults are not supported)');
      samples.push({ offset: next, size });
      next += size;
      if (next - moofStart > limit) throw new Mp4Error(`trun samples run past the end of the segment`);
    }
  }
  return { traf, trackId: tfhd.trackId, samples };
}

/** Moves every explicit trun data_offset of an opened traf by `delta` (the moof grew or shrank). */
export function shiftDataOffsets(traf: Box, delta: number): void {
  for (const trun of traf.children!) {
    if (trun.type !== 'trun') continue;
    const { dataOffset } = readTrun(trun);
    if (dataOffset === undefined) continue;
    const moved = dataOffset + delta;
    if (moved > 0x7fffffff || moved < -0x80000000) throw new Mp4Error('trun data_offset overflows after the moof grew');
    const body = copyOf(trun.body);
    new DataView(body.buffer).setInt32(8, moved); // after version/flags and sample_count
    trun.body = body;
  }
}
