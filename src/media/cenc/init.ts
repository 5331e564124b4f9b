/**
 * Init segments (ftyp + moov) under 'cenc' protection (ISO/IEC 23001-7 §4, ISO 14496-12 §8.12).
 *
 * Protecting a track changes only its sample entry: avc1 becomes encv, mp4a becomes enca, and a
 * sinf{frma, schm, schi{tenc}} child records the original format, the scheme and the default KID
 * a player must ask its CDM for. The pssh boxes carry the KIDs to EME. One track per file, as
 * DASH/CMAF packaging produces.
 */
import { Mp4Error, Reader, Writer, require16 } from './bytes.js';
import { type Box, child, encodeBoxes, fourcc, fullBody, makeBox, openBox, readBoxes, readFullHeader, requireChild, requirePath } from './boxes.js';

export type TrackKind = 'video' | 'audio';

export interface TrackProtection {
  /** The KID players request by default (tenc default_KID). */
  defaultKid: Uint8Array;
  /** Bytes of IV per sample in senc: 8 or 16. */
  perSampleIvSize: number;
}

export interface TrackInfo {
  trackId: number;
  kind: TrackKind;
  /** The sample entry's format before protection: 'avc1', 'avc3', 'mp4a', … */
  format: string;
  timescale: number;
  /** Size of the NAL length prefix in H.264 samples (avcC lengthSizeMinusOne + 1). */
  nalLengthSize?: number;
  /** Present when the track is protected with 'cenc'. */
  protection?: TrackProtection;
}

export interface EncryptInitOptions {
  kid: Uint8Array;
  perSampleIvSize?: 8 | 16;
  /** Complete pssh boxes (see pssh.ts) appended to moov. */
  psshBoxes?: readonly Uint8Array[];
}

const SCHEME_CENC = 'cenc';
const SCHEME_VERSION = 0x00010000;
/** NAL-structured formats we know how to subsample-encrypt (avcC config, 1-byte NAL header). */
const AVC_FORMATS = new Set(['avc1', 'avc3']);

export function readInit(init: Uint8Array): TrackInfo {
  const track = openTrack(readBoxes(init));
  const tkhd = new Reader(requireChild(track.trak, 'tkhd').body, 'tkhd');
  const tkhdVersion = readFullHeader(tkhd).version;
  tkhd.advance(tkhdVersion === 1 ? 16 : 8);
  const mdhd = new Reader(requireChild(track.mdia, 'mdhd').body, 'mdhd');
  mdhd.advance(readFullHeader(mdhd).version === 1 ? 16 : 8);
  const info: TrackInfo = { trackId: tkhd.u32(), kind: track.kind, format: '', timescale: mdhd.u32() };

  const entry = track.entries[0];
  if (!entry) throw new Mp4Error("'stsd' has no sample entry");
  const sinf = child(entry, 'sinf');
  info.format = sinf ? fourcc(new Reader(requireChild(sinf, 'frma').body, 'frma').bytesOf(4)) : entry.type;
  const avcC = child(entry, 'avcC');
  if (AVC_FORMATS.has(info.format) && avcC) info.nalLengthSize = (new Reader(avcC.body, 'avcC').bytesOf(5)[4]! & 3) + 1;
  if (sinf) info.protection = readProtection(sinf);
  return info;
}

export function encryptInit(init: Uint8Array, { kid, perSampleIvSize = 8, psshBoxes = [] }: EncryptInitOptions): Uint8Array {
  require16(kid, 'KID');
  if (perSampleIvSize !== 8 && perSampleIvSize !== 16) throw new Mp4Error(`per-sample IV size must be 8 or 16, got ${perSampleIvSize}`);
  const top = readBoxes(init);
  const track = openTrack(top);
  track.stsd.children = track.entries.map((entry) => {
    if (child(entry, 'sinf')) throw new Mp4Error(`sample entry '${entry.type}' is already protected`);
    if (track.kind === 'video' && !AVC_FORMATS.has(entry.type)) {
      throw new Mp4Error(`video sample entry '${entry.type}' is not supported (H.264 avc1/avc3 are)`);
    }
    const sinf = makeBox('sinf', new Uint8Array(0), [
      makeBox('frma', new Writer().ascii(entry.type).finish()),
      makeBox('schm', fullBody(0, 0, new Writer().ascii(SCHEME_CENC).u32(SCHEME_VERSION).finish())),
      makeBox('schi', new Uint8Array(0), [makeBox('tenc', tencBody(kid, perSampleIvSize))]),
    ]);
    return makeBox(track.kind === 'video' ? 'encv' : 'enca', entry.body, [...(entry.children ?? []), sinf]);
  });
  for (const pssh of psshBoxes) track.moov.children!.push(onePssh(pssh));
  return encodeBoxes(top);
}

/** The inverse of encryptInit: original sample entries, no sinf, no pssh. */
export function decryptInit(init: Uint8Array): Uint8Array {
  const top = readBoxes(init);
  const track = openTrack(top);
  track.stsd.children = track.entries.map((entry) => {
    const sinf = child(entry, 'sinf');
    if (!sinf) return entry;
    readProtection(sinf);
    const format = fourcc(new Reader(requireChild(sinf, 'frma').body, 'frma').bytesOf(4));
    return makeBox(format, entry.body, (entry.children ?? []).filter((c) => c.type !== 'sinf'));
  });
  track.moov.children = track.moov.children!.filter((c) => c.type !== 'pssh');
  return encodeBoxes(top);
}

/** tenc version 0: reserved, reserved, default_isProtected, default_Per_Sample_IV_Size, default_KID. */
function tencBody(kid: Uint8Array, ivSize: number): Uint8Array {
  return fullBody(0, 0, new Writer().u8(0).u8(0).u8(1).u8(ivSize).bytes(kid).finish());
}

function readProtection(sinf: Box): TrackProtection {
  const schm = new Reader(requireChild(sinf, 'schm').body, 'schm');
  readFullHeader(schm);
  const scheme = fourcc(schm.bytesOf(4));
  if (scheme !== SCHEME_CENC) throw new Mp4Error(`protection scheme '${scheme}' is not supported ('cenc' is)`);
  const tenc = new Reader(requireChild(requireChild(sinf, 'schi'), 'tenc').body, 'tenc');
  readFullHeader(tenc);
  tenc.advance(2);
  const isProtected = tenc.u8();
  const perSampleIvSize = tenc.u8();
  const defaultKid = Uint8Array.from(tenc.bytesOf(16));
  if (isProtected !== 1 || (perSampleIvSize !== 8 && perSampleIvSize !== 16)) {
    throw new Mp4Error(`tenc isProtected=${isProtected} IV size ${perSampleIvSize} is not supported`);
  }
  return { defaultKid, perSampleIvSize };
}

/** The opened boxes of an init segment's one track (the DASH packager reads its sample entry for codec strings). */
export interface TrackBoxes {
  moov: Box;
  trak: Box;
  mdia: Box;
  kind: TrackKind;
  stsd: Box;
  entries: Box[];
}

export function openTrack(top: Box[]): TrackBoxes {
  const moov = requirePath(top, ['moov']);
  const traks = openBox(moov).filter((b) => b.type === 'trak');
  const trak = traks[0];
  if (traks.length !== 1 || !trak) throw new Mp4Error(`init segment must hold exactly one track, found ${traks.length}`);
  const mdia = requireChild(trak, 'mdia');
  const hdlr = new Reader(requireChild(mdia, 'hdlr').body, 'hdlr');
  hdlr.advance(8); // version, flags, pre_defined
  const handler = fourcc(hdlr.bytesOf(4));
  if (handler !== 'vide' && handler !== 'soun') throw new Mp4Error(`track handler '${handler}' is neither video nor audio`);
  const kind: TrackKind = handler === 'vide' ? 'video' : 'audio';
  const stsd = requireChild(requireChild(requireChild(mdia, 'minf'), 'stbl'), 'stsd');
  const entries = openBox(stsd, 8); // version, flags, entry_count
  for (const entry of entries) openBox(entry, sampleEntryPrefix(kind, entry));
  return { moov, trak, mdia, kind, stsd, entries };
}

/**
 * Bytes of fixed fields before a sample entry's child boxes: SampleEntry (8) plus
 * VisualSampleEntry (70), or AudioSampleEntry (20) — larger in QuickTime sound versions 1 and 2.
 */
function sampleEntryPrefix(kind: TrackKind, entry: Box): number {
  if (kind === 'video') return 78;
  const r = new Reader(entry.body, entry.type);
  r.advance(8);
  const version = r.u16();
  const prefix = [28, 44, 64][version];
  if (prefix === undefined) throw new Mp4Error(`audio sample entry '${entry.type}' version ${version} is unknown`);
  return prefix;
}

function onePssh(bytes: Uint8Array): Box {
  const boxes = readBoxes(bytes);
  const box = boxes[0];
  if (boxes.length !== 1 || box?.type !== 'pssh') throw new Mp4Error('psshBoxes must each be one complete pssh box');
  return box;
}
