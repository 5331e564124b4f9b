/**
 * Tollgate's 'cenc' encryptor for media segments (ISO/IEC 23001-7 with AES-128-CTR).
 *
 * Threat: these are the bytes a subscriber downloads from the CDN without any token check worth
 * trusting; only the content key, released per session by the license server, makes them
 * playable. So every sample is protected (whole-sample for audio, slice data for video), each
 * with a fresh IV, and nothing about the key leaves this function.
 *
 * Per traf it appends saiz, saio and senc (sample auxiliary information: IV and subsample map
 * per sample), so players that read either form (Chrome: saiz/saio, ffmpeg: whichever comes
 * first) find it; saiz and saio come first so that ffmpeg's check follows the saio pointer.
 *
 * Key rotation: key and IV source are per call, so each DASH Period can have its own key and
 * init segment (default_KID). To change keys between fragments of one Representation instead,
 * pass `kid`: the fragment then names its key in a 'seig' sample group (see seig.ts).
 */
import { Mp4Error, Writer, require16 } from './bytes.js';
import { type Box, fullBody, makeBox } from './boxes.js';
import { type IvSource, applyCtr } from './ctr.js';
import type { TrackKind } from './init.js';
import { rewriteFragments } from './segment.js';
import { seigBoxes } from './seig.js';
import { type SampleAuxInfo, avcSubsamples, encodeAuxInfo } from './subsamples.js';

export interface EncryptSegmentOptions {
  key: Uint8Array;
  /** When given, each fragment names this KID in a 'seig' group (key rotation within a file). */
  kid?: Uint8Array;
  trackKind: TrackKind;
  /** From the init segment's avcC (readInit().nalLengthSize); required for video. */
  nalLengthSize?: number;
  /** One source per key, kept across all segments of that key. */
  ivSource: IvSource;
}

/** Boxes a clear segment must not have: encrypting twice would be unreadable. */
const CENC_BOXES = new Set(['senc', 'saiz', 'saio']);

export function encryptSegment(segment: Uint8Array, options: EncryptSegmentOptions): Uint8Array {
  const { key, kid, trackKind, nalLengthSize, ivSource } = options;
  require16(key, 'content key');
  if (kid) require16(kid, 'KID');
  if (trackKind === 'video' && nalLengthSize !== 1 && nalLengthSize !== 2 && nalLengthSize !== 4) {
    throw new Mp4Error(`video needs the avcC NAL length size (1, 2 or 4), got ${nalLengthSize}`);
  }
  return rewriteFragments(segment, ({ traf, samples }, data) => {
    const children = traf.children!;
    if (children.some((c) => CENC_BOXES.has(c.type))) throw new Mp4Error('segment is already encrypted');
    if (samples.length === 0) return children;
    const infos = samples.map(({ offset, size }): SampleAuxInfo => {
      const iv = ivSource();
      const sample = data.subarray(offset, offset + size);
      const subsamples = trackKind === 'video' ? avcSubsamples(sample, nalLengthSize!) : undefined;
      applyCtr(key, iv, sample, subsamples);
      return subsamples ? { iv, subsamples } : { iv };
    });
    const ivSize = infos[0]!.iv.length;
    if ((ivSize !== 8 && ivSize !== 16) || infos.some((i) => i.iv.length !== ivSize)) {
      throw new Mp4Error('the IV source must give IVs of one size, 8 or 16 bytes');
    }
    const entries = infos.map(encodeAuxInfo);
    return [
      ...children,
      ...(kid ? seigBoxes(kid, ivSize, samples.length) : []),
      saiz(entries),
      makeBox('saio', fullBody(0, 0, new Writer().u32(1).u32(0).finish())), // offset set once laid out
      senc(entries, trackKind === 'video'),
    ];
  });
}

/** Sizes of each sample's aux info; one default size when they are all equal (always for audio). */
function saiz(entries: Uint8Array[]): Box {
  const first = entries[0]!.length;
  const uniform = entries.every((e) => e.length === first);
  const w = new Writer().u8(uniform ? first : 0).u32(entries.length);
  if (!uniform) for (const e of entries) w.u8(e.length);
  return makeBox('saiz', fullBody(0, 0, w.finish()));
}

function senc(entries: Uint8Array[], withSubsamples: boolean): Box {
  const w = new Writer().u32(entries.length);
  for (const e of entries) w.bytes(e);
  return makeBox('senc', fullBody(0, withSubsamples ? 0x2 : 0, w.finish()));
}
