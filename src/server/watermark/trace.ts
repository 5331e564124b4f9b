/**
 * `tollgate trace` (issue 13): which session of a watermarked title does a leaked copy come
 * from? The title's lowest rendition is decrypted (variants A and B, into a private scratch
 * folder removed afterwards) and read as block means beside the leak; the leak is aligned and
 * read segment by segment (media/watermark/detect.ts), and every session of the title on
 * record is ranked by agreement with its payload (rank.ts), on the segments of the protocol it
 * played.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HLS_KEY_LABEL, WATERMARK_KEY_LABEL } from '../../core/drm/policy.js';
import { deny, grant, type Verdict } from '../../core/errors.js';
import { decryptSegment } from '../../media/hls/encrypt.js';
import { type BlockFrames, readBlockFrames } from '../../media/watermark/frames.js';
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
  if ((await services.stores.titles.get(titleId)) === undefined) return deny('not_found', `title "${titleId}" does not exist`);
  const keys = await services.stores.titles.contentKeys(titleId);
  const open = (label: string) => {
    const record = keys.find((k) => k.label === label);
    return record && openContentKey(services.sealer, record.kid, record.sealed);
  };
  const watermarkKey = open(WATERMARK_KEY_LABEL);
  const hlsKey = open(HLS_KEY_LABEL);
  if (watermarkKey === undefined || hlsKey === undefined) return deny('bad_request', `title "${titleId}" was not packaged with --watermark`);
  const info = await probe(leakFile);
  if (!info.hasVideo) return deny('unsupported_media_type', 'the leak has no video stream');

  const hlsDir = join(services.config.dataDir, 'media', titleId, 'hls');
  const master = await readFile(join(hlsDir, 'master.m3u8'), 'utf8');
  const rendition = master.split('\n').find((line) => line !== '' && !line.startsWith('#'))?.split('/')[0] ?? '';
  const segments = renditionSegments(await readFile(join(hlsDir, rendition, 'index.m3u8'), 'utf8'));
  const scratch = await claimStagingDir(services.config.dataDir, 'trace');
  try {
    const variants: BlockFrames[] = [];
    for (const variant of ['a', 'b']) {
      const parts = await Promise.all(
        segments.map(async (s, n) => decryptSegment(await readFile(join(hlsDir, rendition, variant, s.uri)), hlsKey, BigInt(n))),
      );
      const file = join(scratch, `${variant}.ts`);
      await writeFile(file, Buffer.concat(parts), { mode: 0o600 });
      variants.push(await readBlockFrames(file, TRACE_FPS));
    }
    const leak = await readBlockFrames(leakFile, TRACE_FPS);
    const aligned = alignLeak(leak, variants[0]!, variants[1]!);
    const hls = aligned.read(segments.map((s) => s.durationSec));
    // The DASH variants carry the same mark, cut every 2 s and numbered from 1 (HLS: from 0).
    const readingsOf = (protocol: 'hls' | 'dash') => {
      if (protocol === 'hls') return hls;
      const title = segments.reduce((sum, s) => sum + s.durationSec, 0);
      const grid = Array.from({ length: Math.ceil(title / DASH_SEGMENT_SEC) }, () => DASH_SEGMENT_SEC);
      return aligned.read(grid).map((r) => ({ ...r, segment: r.segment + 1 }));
    };
    return grant({ title_id: titleId, offset_sec: aligned.offsetSec, segments_read: hls.length, ...(await nameSuspects(services, titleId, watermarkKey, readingsOf, alpha)) });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Segment URIs and durations of an (encrypted) media playlist. */
function renditionSegments(playlist: string): { uri: string; durationSec: number }[] {
  const segments: { uri: string; durationSec: number }[] = [];
  let duration = 0;
  for (const line of playlist.split('\n').map((l) => l.trim())) {
    const extinf = /^#EXTINF:([0-9.]+)/.exec(line);
    if (extinf) duration = Number(extinf[1]);
    else if (line !== '' && !line.startsWith('#')) segments.push({ uri: line, durationSec: duration });
  }
  return segments;
}
