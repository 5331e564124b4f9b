/**
 * Key rotation inside one Representation: the 'seig' sample group (ISO/IEC 23001-7 §6).
 *
 * tenc's default_KID is fixed in the init segment, so a fragment encrypted with another key
 * must name its KID itself: an sgpd('seig') entry in the traf and an sbgp('seig') mapping the
 * fragment's samples to it (group_description_index 0x10001 = first fragment-local entry).
 * Without these, rotating keys needs a new DASH Period whose init segment has its own
 * default_KID.
 */
import { Mp4Error, Reader, Writer } from './bytes.js';
import { type Box, fullBody, makeBox, readFullHeader } from './boxes.js';

export interface SeigEntry {
  isProtected: boolean;
  perSampleIvSize: number;
  kid: Uint8Array;
}

/** First index of group descriptions local to the fragment (ISO 14496-12 §8.9.4). */
const FRAGMENT_LOCAL = 0x10000;
const SEIG_ENTRY_SIZE = 20;

/** sbgp + sgpd putting all `sampleCount` samples of a traf under `kid`. */
export function seigBoxes(kid: Uint8Array, perSampleIvSize: number, sampleCount: number): Box[] {
  const entry = new Writer().u8(0).u8(0).u8(1).u8(perSampleIvSize).bytes(kid).finish(); // reserved, pattern, isProtected
  const sbgp = new Writer().ascii('seig').u32(1).u32(sampleCount).u32(FRAGMENT_LOCAL + 1).finish();
  const sgpd = new Writer().ascii('seig').u32(SEIG_ENTRY_SIZE).u32(1).bytes(entry).finish();
  return [makeBox('sbgp', fullBody(0, 0, sbgp)), makeBox('sgpd', fullBody(1, 0, sgpd))];
}

/**
 * The 'seig' entry of each sample of an opened traf, or undefined where the sample keeps the
 * track defaults (tenc). Only fragment-local descriptions are supported: Tollgate never puts
 * 'seig' in the init segment.
 */
export function readSeig(traf: Box, sampleCount: number): (SeigEntry | undefined)[] {
  const sbgp = traf.children!.find((c) => c.type === 'sbgp' && groupingType(c) === 'seig');
  const sgpd = traf.children!.find((c) => c.type === 'sgpd' && groupingType(c) === 'seig');
  const perSample: (SeigEntry | undefined)[] = new Array<SeigEntry | undefined>(sampleCount).fill(undefined);
  if (!sbgp) return perSample;
  const entries = sgpd ? readSgpd(sgpd) : [];
  const r = new Reader(sbgp.body, 'sbgp');
  if (readFullHeader(r).version === 1) r.advance(4); // grouping_type_parameter
  r.advance(4);
  const count = r.count(r.u32(), 8, 'entries');
  let sample = 0;
  for (let i = 0; i < count; i++) {
    const run = r.u32();
    const index = r.u32();
    let entry: SeigEntry | undefined;
    if (index > FRAGMENT_LOCAL) entry = entries[index - FRAGMENT_LOCAL - 1];
    if (index !== 0 && !entry) throw new Mp4Error(`sbgp 'seig' refers to group description ${index}, which this fragment lacks`);
    if (sample + run > sampleCount) throw new Mp4Error(`sbgp 'seig' covers more than the fragment's ${sampleCount} samples`);
    perSample.fill(entry, sample, sample + run);
    sample += run;
  }
  return perSample;
}

export function isSeigBox(box: Box): boolean {
  return (box.type === 'sbgp' || box.type === 'sgpd') && groupingType(box) === 'seig';
}

function readSgpd(sgpd: Box): SeigEntry[] {
  const r = new Reader(sgpd.body, 'sgpd');
  const { version } = readFullHeader(r);
  r.advance(4);
  const defaultLength = version === 1 ? r.u32() : 0;
  if (version >= 2) r.advance(4); // default_sample_description_index
  const count = r.count(r.u32(), SEIG_ENTRY_SIZE, 'entries');
  const entries: SeigEntry[] = [];
  for (let i = 0; i < count; i++) {
    const length = version === 1 && defaultLength === 0 ? r.u32() : SEIG_ENTRY_SIZE;
    const e = new Reader(r.bytesOf(length), 'seig');
    e.advance(2);
    const isProtected = e.u8() === 1;
    const perSampleIvSize = e.u8();
    entries.push({ isProtected, perSampleIvSize, kid: Uint8Array.from(e.bytesOf(16)) });
  }
  return entries;
}

function groupingType(box: Box): string {
  return String.fromCharCode(...box.body.subarray(4, 8));
}
