/**
 * The HLS ladder and the one ffmpeg command that encodes it (shared planning and encoder
 * settings in ../ladder.ts). ffmpeg writes CLEAR MPEG-TS here: encryption is Tollgate's own
 * (./encrypt.ts), which avoids ffmpeg 5.1's inconsistent IV attribute (FORMATS.md §9).
 */
import { join } from 'node:path';
import { type LadderStep, type Rung, type RungFilter, planRungs, rungRateArgs, scaleArgs, videoCodecArgs } from '../ladder.js';

const LADDER: readonly [LadderStep, ...LadderStep[]] = [
  { height: 240, videoKbps: 400, audioKbps: 64 },
  { height: 480, videoKbps: 1200, audioKbps: 96 },
  { height: 720, videoKbps: 2800, audioKbps: 128 },
  { height: 1080, videoKbps: 5000, audioKbps: 128 },
];

/** The rungs up to the source height (never upscaled); a source below 240p gets one rung at its own size. */
export function planLadder(source: { readonly width: number; readonly height: number }): Rung[] {
  return planRungs(source, LADDER);
}

export interface LadderJob {
  readonly input: string;
  readonly rungs: readonly Rung[];
  readonly hasAudio: boolean;
  /** Receives master.m3u8 and <rung>/index.m3u8 + <rung>/seg-NNNNN.ts. */
  readonly clearDir: string;
  readonly segmentSec: number;
  /** A filter after each rung's scaling: the A or B watermark. */
  readonly mark?: RungFilter;
}

/** ffmpeg arguments for the whole ladder as one clear HLS tree (ffmpeg's hls muxer, var_stream_map). */
export function ladderArgs(job: LadderJob): string[] {
  const { rungs, hasAudio, segmentSec } = job;
  const args = scaleArgs(job.input, rungs, job.mark);
  rungs.forEach((_, i) => args.push('-map', `[v${i}]`, ...(hasAudio ? ['-map', '0:a:0'] : [])));
  args.push(...videoCodecArgs(segmentSec));
  rungs.forEach((r, i) => {
    args.push(...rungRateArgs(r, `:v:${i}`));
    if (hasAudio) args.push(`-b:a:${i}`, `${r.audioKbps}k`);
  });
  if (hasAudio) args.push('-c:a', 'aac', '-ac', '2', '-ar', '48000');
  const streamMap = rungs.map((r, i) => `v:${i}${hasAudio ? `,a:${i}` : ''},name:${r.name}`).join(' ');
  args.push(
    '-f', 'hls', '-hls_time', String(segmentSec), '-hls_playlist_type', 'vod', '-hls_segment_type', 'mpegts',
    '-hls_segment_filename', join(job.clearDir, '%v', 'seg-%05d.ts'),
    '-master_pl_name', 'master.m3u8', '-var_stream_map', streamMap,
    join(job.clearDir, '%v', 'index.m3u8'),
  );
  return args;
}
