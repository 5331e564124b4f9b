/**
 * Subsample maps for NAL-structured video (ISO/IEC 23001-7 §9.5, 'cenc' scheme).
 *
 * A decoder must be able to walk the NAL units of a protected sample, so each NAL length
 * field and NAL header byte stays clear, and parameter sets, SEI and delimiters (non-VCL) stay
 * wholly clear. The slice data of each VCL NAL unit is protected up to its last byte; its start
 * is moved forward by (size - 1) mod 16 bytes so the protected length is a whole number of AES
 * blocks, as CMAF (ISO/IEC 23000-19) requires of 'cenc' video and as shaka-packager does. At
 * most 15 bytes of slice header stay clear, which reveal nothing a NAL header does not.
 */
import { Mp4Error, Reader, Writer } from './bytes.js';

export interface Subsample {
  /** BytesOfClearData, at most 65535. */
  clear: number;
  /** BytesOfProtectedData. */
  protected: number;
}

/** One sample's auxiliary information: its IV and, for video, its subsample map. */
export interface SampleAuxInfo {
  iv: Uint8Array;
  subsamples?: Subsample[];
}

const AES_BLOCK = 16;
const MAX_CLEAR = 0xffff;
/** saiz stores each entry's size in one byte, so a sample has at most 40 subsamples (8 + 2 + 40 × 6 = 250). */
const MAX_AUX_INFO_SIZE = 255;

function isVcl(nalHeader: number): boolean {
  const type = nalHeader & 0x1f;
  return type >= 1 && type <= 5; // coded slices (non-IDR, partitions A-C, IDR)
}

export function avcSubsamples(sample: Uint8Array, nalLengthSize: number): Subsample[] {
  const out: Subsample[] = [];
  let clear = 0; // clear bytes not yet attached to a protected range
  const push = (protectedBytes: number): void => {
    for (; clear > MAX_CLEAR; clear -= MAX_CLEAR) out.push({ clear: MAX_CLEAR, protected: 0 });
    out.push({ clear, protected: protectedBytes });
    clear = 0;
  };
  const r = new Reader(sample, 'H.264 sample');
  while (r.remaining > 0) {
    const size = nalLengthSize === 4 ? r.u32() : nalLengthSize === 2 ? r.u16() : r.u8();
    if (size > r.remaining) throw new Mp4Error(`NAL unit of ${size} bytes overruns its sample (${r.remaining} left)`);
    const header = size > 0 ? sample[r.offset]! : 0;
    r.advance(size);
    const protectedBytes = size > 0 && isVcl(header) ? (size - 1) - ((size - 1) % AES_BLOCK) : 0;
    clear += nalLengthSize + size - protectedBytes;
    if (protectedBytes > 0) push(protectedBytes);
  }
  if (clear > 0 || out.length === 0) push(0);
  return out;
}

export function encodeAuxInfo({ iv, subsamples }: SampleAuxInfo): Uint8Array {
  const w = new Writer().bytes(iv);
  if (subsamples) {
    w.u16(subsamples.length);
    for (const s of subsamples) w.u16(s.clear).u32(s.protected);
  }
  const bytes = w.finish();
  if (bytes.length > MAX_AUX_INFO_SIZE) {
    throw new Mp4Error(`a sample with ${subsamples?.length} subsamples needs ${bytes.length} bytes of aux info; saiz allows ${MAX_AUX_INFO_SIZE}`);
  }
  return bytes;
}

/** Reads one senc entry; `ivSize` comes from tenc or the sample's 'seig' group. */
export function readAuxInfo(r: Reader, ivSize: number, withSubsamples: boolean): SampleAuxInfo {
  const iv = r.bytesOf(ivSize);
  if (!withSubsamples) return { iv };
  const count = r.count(r.u16(), 6, 'subsamples');
  const subsamples: Subsample[] = [];
  for (let i = 0; i < count; i++) subsamples.push({ clear: r.u16(), protected: r.u32() });
  return { iv, subsamples };
}
