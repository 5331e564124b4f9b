/**
 * One clear representation as ffmpeg left it (init.m4s + seg-NNNNN.m4s in its own folder):
 * what the MPD must say about it — RFC 6381 codec string, picture size or audio layout,
 * timescale — and where each segment sits on the media timeline.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Mp4Error, Reader } from '../cenc/bytes.js';
import { type Box, child, readBoxes } from '../cenc/boxes.js';
import { type TrackInfo, openTrack, readInit } from '../cenc/init.js';
import { MediaError } from '../ffmpeg.js';
import { segmentSpan, trexDefaultDuration } from './timing.js';

export interface ClearSegment {
  /** ffmpeg's $Number$, from 1; the published file keeps it. */
  readonly number: number;
  readonly path: string;
  /** In the track's timescale. */
  readonly start: number;
  readonly duration: number;
}

export interface ClearTrack {
  readonly init: Uint8Array;
  readonly info: TrackInfo;
  readonly codecs: string;
  readonly width?: number;
  readonly height?: number;
  readonly sampleRate?: number;
  readonly channels?: number;
  readonly segments: readonly ClearSegment[];
}

/** ffmpeg's media segment names, kept when published (the MPD's SegmentTemplate@media). */
export const SEGMENT_TEMPLATE = 'seg-$Number%05d$.m4s';
const SEGMENT_NAME = /^seg-(\d{5,})\.m4s$/;

export function segmentFileName(number: number): string {
  return `seg-${String(number).padStart(5, '0')}.m4s`;
}

export async function readClearTrack(dir: string): Promise<ClearTrack> {
  const init = await readFile(join(dir, 'init.m4s'));
  const info = readInit(init);
  const numbers = (await readdir(dir)).flatMap((name) => SEGMENT_NAME.exec(name)?.[1] ?? []).map(Number).sort((a, b) => a - b);
  if (numbers.length === 0 || numbers.some((n, i) => n !== i + 1)) {
    throw new MediaError('ffmpeg_failed', `${dir}: ffmpeg's segments are not numbered 1…n`);
  }
  const trex = trexDefaultDuration(init);
  const segments: ClearSegment[] = [];
  for (const number of numbers) {
    const path = join(dir, segmentFileName(number));
    const span = segmentSpan(await readFile(path), trex);
    if (span.duration <= 0) throw new MediaError('ffmpeg_failed', `${path} has no duration`);
    segments.push({ number, path, ...span });
  }
  return { init, info, segments, ...describeEntry(init, info) };
}

type EntryFacts = Pick<ClearTrack, 'codecs' | 'width' | 'height' | 'sampleRate' | 'channels'>;

/** Reads the sample entry's fixed fields (VisualSampleEntry / AudioSampleEntry, ISO 14496-12 §12). */
function describeEntry(init: Uint8Array, info: TrackInfo): EntryFacts {
  const entry = openTrack(readBoxes(init)).entries[0]!; // readInit already required one
  const fields = new Reader(entry.body, entry.type);
  if (info.kind === 'video') {
    fields.advance(24); // SampleEntry header, pre_defined and reserved words
    return { codecs: avcCodecs(entry, info.format), width: fields.u16(), height: fields.u16() };
  }
  fields.advance(16); // SampleEntry header, version, revision, vendor
  const channels = fields.u16();
  fields.advance(6); // samplesize, compression id, packet size
  return { codecs: mp4aCodecs(entry), channels, sampleRate: fields.u32() >>> 16 };
}

/** avc1.PPCCLL: profile, constraint flags and level from the avcC record (RFC 6381 §3.3). */
function avcCodecs(entry: Box, format: string): string {
  const avcC = child(entry, 'avcC');
  if (!avcC) throw new Mp4Error(`'${format}' sample entry has no avcC`);
  const bytes = new Reader(avcC.body, 'avcC').bytesOf(4);
  return `${format}.${Buffer.from(bytes.subarray(1, 4)).toString('hex')}`;
}

/** mp4a.40.<audio object type> from esds (ISO 14496-1 descriptors, ISO 14496-3 AudioSpecificConfig). */
function mp4aCodecs(entry: Box): string {
  const esds = entry.type === 'mp4a' ? child(entry, 'esds') : undefined;
  if (!esds) throw new Mp4Error(`audio sample entry '${entry.type}' is not mp4a with esds`);
  const r = new Reader(esds.body, 'esds');
  r.advance(4); // version, flags
  descriptor(r, 0x03);
  r.advance(2); // ES_ID
  const esFlags = r.u8();
  if (esFlags & 0x80) r.advance(2); // dependsOn_ES_ID
  if (esFlags & 0x40) r.advance(r.u8()); // URL
  if (esFlags & 0x20) r.advance(2); // OCR_ES_Id
  descriptor(r, 0x04);
  const objectType = r.u8();
  r.advance(12); // streamType, bufferSizeDB, maxBitrate, avgBitrate
  if (objectType !== 0x40) return `mp4a.${objectType.toString(16)}`;
  descriptor(r, 0x05);
  const first = r.u8();
  const audioObjectType = first >> 3;
  // 31 escapes to 32 + the next six bits.
  return `mp4a.40.${audioObjectType === 31 ? 32 + (((first & 7) << 3) | (r.u8() >> 5)) : audioObjectType}`;
}

/** Reads a descriptor header of the expected tag; its size (1–4 bytes of 7 bits) is not needed. */
function descriptor(r: Reader, tag: number): void {
  const found = r.u8();
  if (found !== tag) throw new Mp4Error(`esds: expected descriptor tag ${tag}, found ${found}`);
  for (let i = 0; i < 4 && r.u8() & 0x80; i++);
}
