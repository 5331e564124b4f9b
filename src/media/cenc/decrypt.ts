/**
 * The inverse of encryptSegment, for tests and for verifying packaged output: decrypts every
 * sample from its senc entry and removes senc, saiz, saio and 'seig' groups, restoring the clear
 * segment byte for byte. It reads aux info from senc (as ffmpeg can) but first checks that
 * saiz/saio, which Chrome reads instead, describe exactly the same bytes — so a passing decrypt
 * also proves the two pointers a browser depends on.
 */
import { TollgateError } from '../../core/errors.js';
import { Mp4Error, Reader, toHex } from './bytes.js';
import { type Box, child, readFullHeader } from './boxes.js';
import { applyCtr } from './ctr.js';
import type { TrackProtection } from './init.js';
import { rewriteFragments } from './segment.js';
import { isSeigBox, readSeig } from './seig.js';
import { type SampleAuxInfo, encodeAuxInfo, readAuxInfo } from './subsamples.js';

export interface DecryptSegmentOptions extends TrackProtection {
  /** Resolves a KID to its content key (keys are found by KID, so rotation just works). */
  keyFor: (kid: Uint8Array) => Uint8Array | undefined;
}

const CENC_BOXES = new Set(['senc', 'saiz', 'saio']);

export function decryptSegment(segment: Uint8Array, options: DecryptSegmentOptions): Uint8Array {
  return rewriteFragments(segment, ({ traf, samples }, data, moofStart) => {
    const children = traf.children!;
    if (samples.length === 0) return children;
    const senc = child(traf, 'senc');
    if (!senc) throw new Mp4Error('traf has samples but no senc: not a cenc-encrypted segment');
    const groups = readSeig(traf, samples.length);
    const r = new Reader(senc.body, 'senc');
    const { flags } = readFullHeader(r);
    const count = r.u32();
    if (count !== samples.length) throw new Mp4Error(`senc has ${count} entries for ${samples.length} samples`);
    const infos: (SampleAuxInfo | undefined)[] = groups.map((g) => {
      if (g && !g.isProtected) return undefined;
      const ivSize = g ? g.perSampleIvSize : options.perSampleIvSize;
      if (ivSize !== 8 && ivSize !== 16) throw new Mp4Error(`per-sample IV size ${ivSize} is not supported`);
      return readAuxInfo(r, ivSize, (flags & 0x2) !== 0);
    });
    checkAuxPointers(traf, senc, infos, moofStart);
    samples.forEach(({ offset, size }, i) => {
      const info = infos[i];
      if (!info) return;
      const kid = groups[i]?.kid ?? options.defaultKid;
      const key = options.keyFor(kid);
      if (!key) throw new TollgateError('not_found', `no content key for KID ${toHex(kid)}`);
      applyCtr(key, info.iv, data.subarray(offset, offset + size), info.subsamples);
    });
    return children.filter((c) => !CENC_BOXES.has(c.type) && !isSeigBox(c));
  });
}

/** saiz must give each entry's size and saio must point at senc's first entry, if present. */
function checkAuxPointers(traf: Box, senc: Box, infos: (SampleAuxInfo | undefined)[], moofStart: number): void {
  const saiz = child(traf, 'saiz');
  const saio = child(traf, 'saio');
  if (!saiz && !saio) return;
  if (!saiz || !saio) throw new Mp4Error('traf has one of saiz and saio without the other');
  const z = new Reader(saiz.body, 'saiz');
  if (readFullHeader(z).flags & 1) z.advance(8);
  const defaultSize = z.u8();
  const count = z.u32();
  if (count !== infos.length) throw new Mp4Error(`saiz describes ${count} samples, trun has ${infos.length}`);
  infos.forEach((info, i) => {
    const expected = info ? encodeAuxInfo(info).length : 0;
    const size = defaultSize || z.u8();
    if (size !== expected) throw new Mp4Error(`saiz gives sample ${i} ${size} bytes of aux info, senc has ${expected}`);
  });
  const o = new Reader(saio.body, 'saio');
  const { version, flags } = readFullHeader(o);
  if (flags & 1) o.advance(8);
  if (o.u32() !== 1) throw new Mp4Error('saio must have exactly one entry');
  const offset = version === 0 ? o.u32() : o.u64();
  const firstEntry = senc.start + senc.headerSize + 8 - moofStart;
  if (offset !== firstEntry) throw new Mp4Error(`saio points at ${offset}, but senc's first entry is at ${firstEntry} in the moof`);
}
