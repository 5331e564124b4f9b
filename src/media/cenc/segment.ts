/**
 * Rewrites the movie fragments of a media segment (styp? sidx? (moof mdat)+ …) with one edit
 * per traf — add or remove the CENC boxes, transform the sample bytes in place — and then
 * repairs every offset the edit invalidated:
 *  - trun data_offset (moof-relative) moves by however much its moof grew or shrank;
 *  - saio is pointed at the first IV of senc, which only has a position once the moof is laid out;
 *  - sidx referenced sizes and first_offset follow the boxes they index (ffmpeg's dash muxer
 *    writes a sidx in every segment, and a stale one makes players fetch wrong byte ranges).
 * 'mfra' is dropped: its tfra entries are absolute file offsets we cannot know from a segment,
 * and it only serves local-file seeking, never DASH/CMAF playback.
 */
import { Mp4Error, Reader, concatBytes, copyOf } from './bytes.js';
import { type Box, boxSize, child, encodeBox, openBox, readBoxes, readFullHeader } from './boxes.js';
import { type TrackFragment, readTrackFragment, shiftDataOffsets } from './fragment.js';

/**
 * Edits one track fragment: may transform its samples inside `data` (a copy of the segment,
 * addressed by the samples' absolute offsets) and returns the traf's new children.
 */
export type TrafEdit = (fragment: TrackFragment, data: Uint8Array, moofStart: number) => Box[];

export function rewriteFragments(segment: Uint8Array, edit: TrafEdit): Uint8Array {
  const top = readBoxes(segment);
  if (!top.some((b) => b.type === 'moof')) throw new Mp4Error('segment has no moof');
  const data = copyOf(segment);
  /** One piece per top-level box; undefined for a dropped one. */
  const pieces: (Uint8Array | undefined)[] = [];
  /** Old offset of every top-level box boundary → its new offset. */
  const moved = new Map<number, number>();
  let at = 0;
  top.forEach((box, i) => {
    moved.set(box.start, at);
    if (box.type === 'mfra') return pieces.push(undefined);
    const piece = box.type === 'moof' ? rewriteMoof(box, mdatsAfter(top, i), data, edit) : data.subarray(box.start, end(box));
    at += piece.length;
    return pieces.push(piece);
  });
  moved.set(segment.length, at);
  top.forEach((box, i) => {
    if (box.type === 'sidx') pieces[i] = fixSidx(pieces[i]!, box, moved);
  });
  return concatBytes(pieces.filter((p) => p !== undefined));
}

function rewriteMoof(moof: Box, mdats: Box[], data: Uint8Array, edit: TrafEdit): Uint8Array {
  const before = boxSize(moof);
  const trafs = openBox(moof).filter((b) => b.type === 'traf');
  for (const [k, traf] of trafs.entries()) {
    openBox(traf);
    const fragment = readTrackFragment(traf, moof.start, k === 0, data.length);
    for (const s of fragment.samples) {
      if (!mdats.some((m) => s.offset >= m.start + m.headerSize && s.offset + s.size <= end(m))) {
        throw new Mp4Error(`a sample at ${s.offset} (+${s.size}) of track ${fragment.trackId} is not inside an mdat after its moof`);
      }
    }
    traf.children = edit(fragment, data, moof.start);
  }
  const delta = boxSize(moof) - before;
  for (const traf of trafs) shiftDataOffsets(traf, delta);
  const bytes = encodeBox(moof);
  pointSaioAtSenc(bytes);
  return bytes;
}

/** The mdats between a moof and the next moof: the only place its samples may be. */
function mdatsAfter(top: Box[], moofIndex: number): Box[] {
  const out: Box[] = [];
  for (const box of top.slice(moofIndex + 1)) {
    if (box.type === 'moof') break;
    if (box.type === 'mdat') out.push(box);
  }
  return out;
}

/**
 * In an encoded moof, sets each traf's saio (one entry, moof-relative because every traf we
 * accept has its base at the moof) to the first sample entry in its senc.
 */
function pointSaioAtSenc(moofBytes: Uint8Array): void {
  const view = new DataView(moofBytes.buffer, moofBytes.byteOffset, moofBytes.byteLength);
  const [moof] = readBoxes(moofBytes);
  for (const traf of openBox(moof!).filter((b) => b.type === 'traf')) {
    openBox(traf);
    const saio = child(traf, 'saio');
    const senc = child(traf, 'senc');
    if (!saio || !senc) continue;
    const r = new Reader(saio.body, 'saio');
    const { version, flags } = readFullHeader(r);
    if (flags & 1) r.advance(8); // aux_info_type, aux_info_type_parameter
    if (r.u32() !== 1) throw new Mp4Error('saio must have exactly one entry');
    const field = saio.start + saio.headerSize + r.offset;
    const target = senc.start + senc.headerSize + 8; // after version/flags and sample_count
    if (version === 0) view.setUint32(field, target);
    else view.setBigUint64(field, BigInt(target));
  }
}

/** Rewrites a sidx (ISO 14496-12 §8.16.3) so its byte ranges follow the moved boxes. */
function fixSidx(bytes: Uint8Array, sidx: Box, moved: Map<number, number>): Uint8Array {
  const out = copyOf(bytes);
  const view = new DataView(out.buffer);
  const r = new Reader(sidx.body, 'sidx');
  const { version } = readFullHeader(r);
  r.advance(version === 0 ? 12 : 16); // reference_ID, timescale, earliest_presentation_time
  const firstOffsetAt = sidx.headerSize + r.offset;
  const firstOffset = version === 0 ? r.u32() : r.u64();
  r.advance(2);
  const count = r.count(r.u16(), 12, 'references');
  const anchor = end(sidx);
  const map = (old: number): number => {
    const to = moved.get(old);
    if (to === undefined) throw new Mp4Error(`sidx indexes offset ${old}, which is not a box boundary in this segment`);
    return to;
  };
  const newFirstOffset = map(anchor + firstOffset) - map(anchor);
  if (version === 0) view.setUint32(firstOffsetAt, newFirstOffset);
  else view.setBigUint64(firstOffsetAt, BigInt(newFirstOffset));
  let from = anchor + firstOffset;
  for (let i = 0; i < count; i++) {
    const at = sidx.headerSize + r.offset;
    const word = r.u32();
    r.advance(8); // subsegment_duration, SAP fields
    const size = word & 0x7fffffff;
    const newSize = map(from + size) - map(from);
    if (newSize > 0x7fffffff) throw new Mp4Error('sidx referenced_size overflows after encryption');
    view.setUint32(at, ((word & 0x80000000) | newSize) >>> 0); // keep reference_type
    from += size;
  }
  return out;
}

function end(box: Box): number {
  return box.start + box.headerSize + box.body.length;
}
