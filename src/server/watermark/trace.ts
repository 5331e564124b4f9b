/**
 * `tollgate trace` (issue 13): which session of a watermarked title does a leaked copy come
 * from? The title's lowest rendition is decrypted (variants A and B, into a private scratch
 * folder removed afterwards): the lowest HLS rendition, or the lowest DASH video representation
 * of a title packaged for DASH alone (media/watermark/variant-files.ts). It is read as block
 * means beside the leak; the leak is aligned and read segment by segment
 * (media/watermark/detect.ts), and every session of the title on record is ranked by agreement
 * with its payload (rank.ts), on the segments of the protocol it played.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HLS_KEY_LABEL, WATERMARK_KEY_LABEL } from '../../core/drm/policy.js';
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { ContentKeyRecord } from '../../core/ports.js';
import { readBlockFrames } from '../../media/watermark/frames.js';
import { dashVariantFiles, hlsVariantFiles } from '../../media/watermark/variant-files.js';
import { alignLeak } from '../../media/watermark/detect.js';
import { SEGMENT_SEC as DASH_SEGMENT_SEC } from '../../media/dash/ladder.js';
import { probe } from '../../media/ffmpeg.js';
import { claimStagingDir } from '../catalog/staging-area.js';
import type { Services } from '../compose.js';
import { openContentKey } from '../keys/content-keys.js';
import { DEFAULT_ALPHA } from './rank.js';
import { type Candidate, nameSuspects } from './suspects.js';

/** Frames per second the leak and the title are compared at: plenty for 2–4 s segments. */
const TRACE_FPS = 10;

export interface TraceReport {
  readonly title_id: string;
  readonly offset_sec: number;
  readonly segments_read: number;
  readonly sessions_compared: number;
  readonly candidates: Candidate[];
}

export async function traceLeak(services: Services, leakFile: string, titleId: string, alpha = DEFAULT_ALPHA): Promise<Verdict<TraceReport>> {
  const title = await services.stores.titles.get(titleId);
  if (title === undefined) return deny('not_found', `title "${titleId}" does not exist`);
  const keys = await services.stores.titles.contentKeys(titleId);
  const watermark = keys.find((k) => k.label === WATERMARK_KEY_LABEL);
  // A title with HLS is read on its HLS variants (smaller than DASH's lowest representation).
  const hls = title.protocols.includes('hls') ? keys.find((k) => k.label === HLS_KEY_LABEL) : undefined;
  if (watermark === undefined || (hls === undefined && !title.protocols.includes('dash'))) {
    return deny('bad_request', `title "${titleId}" was not packaged with --watermark`);
  }
  const protocol = hls !== undefined ? 'hls' : 'dash';
  const info = await probe(leakFile);
  if (!info.hasVideo) return deny('unsupported_media_type', 'the leak has no video stream');

  const media = join(services.config.dataDir, 'media', titleId);
  const scratch = await claimStagingDir(services.config.dataDir, 'trace');
  try {
    const variants =
      hls !== undefined
        ? await hlsVariantFiles(join(media, 'hls'), openContentKey(services.sealer, hls.kid, hls.sealed), scratch)
        : await dashVariantFiles(join(media, 'dash'), cencKeys(services, keys), scratch);
    const [a, b] = [await readBlockFrames(variants.files[0], TRACE_FPS), await readBlockFrames(variants.files[1], TRACE_FPS)];
    const aligned = alignLeak(await readBlockFrames(leakFile, TRACE_FPS), a, b);
    const numbered = (grid: readonly number[], first: number) => aligned.read(grid).map((r) => ({ ...r, segment: r.segment + first }));
    const read = numbered(variants.segmentSec, variants.firstNumber);
    // Both protocols' variants carry the same mark: on a title read on its HLS variants, DASH
    // sessions are read on DASH's 2 s segments, numbered from 1. A title without HLS has no HLS sessions.
    const readingsOf = (played: 'hls' | 'dash') => {
      if (played === protocol) return read;
      if (played === 'hls') return [];
      const titleSec = variants.segmentSec.reduce((sum, s) => sum + s, 0);
      return numbered(Array.from({ length: Math.ceil(titleSec / DASH_SEGMENT_SEC) }, () => DASH_SEGMENT_SEC), 1);
    };
    const watermarkKey = openContentKey(services.sealer, watermark.kid, watermark.sealed);
    return grant({ title_id: titleId, offset_sec: aligned.offsetSec, segments_read: read.length, ...(await nameSuspects(services, titleId, watermarkKey, readingsOf, alpha)) });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A DASH title's CENC keys by KID, each unsealed when first asked for (never the watermark key). */
function cencKeys(services: Services, keys: readonly ContentKeyRecord[]): (kid: Uint8Array) => Uint8Array | undefined {
  const opened = new Map<string, Uint8Array>();
  return (kid) => {
    const hex = Buffer.from(kid).toString('hex');
    const record = keys.find((k) => k.kid === hex && k.label !== WATERMARK_KEY_LABEL && k.label !== HLS_KEY_LABEL);
    if (record !== undefined && !opened.has(hex)) opened.set(hex, openContentKey(services.sealer, record.kid, record.sealed));
    return opened.get(hex);
  };
}
