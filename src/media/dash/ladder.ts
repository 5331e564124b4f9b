/**
 * The DASH ladder, its quality tiers, and the ffmpeg command that encodes it.
 *
 * Every tier is a separate content key, so a license server can give a software CDM (Clear Key)
 * the SD and audio keys and withhold HD/UHD ones. ffmpeg writes each representation as its own
 * clear DASH output (one init segment and 2 s fMP4 segments per folder): one muxer per stream
 * means each folder is exactly one Representation, and the audio muxer, having no video to
 * follow, cuts within one AAC frame of each 2 s mark (measured on its own clock, so it never
 * drifts) — audio segments stay on the video's grid, and key-rotation Periods can be cut at
 * segment boundaries in every track.
 */
import { join } from 'node:path';
import { type LadderStep, type Rung, type RungFilter, planRungs, rungRateArgs, scaleArgs, videoCodecArgs } from '../ladder.js';
import { SEGMENT_TEMPLATE } from './track.js';

export type Tier = 'sd' | 'hd' | 'uhd';

/** Short enough that a revoked session stops within a segment, long enough to keep overhead low. */
export const SEGMENT_SEC = 2;
/** One AAC representation serves every video rung. */
const AUDIO_KBPS = 128;
/** Folder and Representation id of the audio track; video ones are the rung names ("720p"). */
export const AUDIO_ID = 'audio';

const LADDER: readonly [LadderStep, ...LadderStep[]] = [
  { height: 360, videoKbps: 800, audioKbps: AUDIO_KBPS },
  { height: 720, videoKbps: 2800, audioKbps: AUDIO_KBPS },
  { height: 1080, videoKbps: 5000, audioKbps: AUDIO_KBPS },
  { height: 2160, videoKbps: 16000, audioKbps: AUDIO_KBPS },
];

/** The rungs up to the source height, never upscaled. */
export function planDashLadder(source: { readonly width: number; readonly height: number }): Rung[] {
  return planRungs(source, LADDER);
}

/** SD up to 576 lines (PAL SD), HD up to 1080, UHD above: the tiers license policies speak of. */
export function tierOf(height: number): Tier {
  return height <= 576 ? 'sd' : height <= 1080 ? 'hd' : 'uhd';
}

export interface DashEncodeJob {
  readonly input: string;
  readonly rungs: readonly Rung[];
  readonly hasAudio: boolean;
  /** Receives <rung>/ and audio/, each with init.m4s and seg-NNNNN.m4s; the folders must exist. */
  readonly clearDir: string;
  /** A filter after each rung's scaling: the A or B watermark. */
  readonly mark?: RungFilter;
}

/** One decode, one output per representation. */
export function dashEncodeArgs(job: DashEncodeJob): string[] {
  const args = scaleArgs(job.input, job.rungs, job.mark);
  job.rungs.forEach((rung, i) => {
    args.push('-map', `[v${i}]`, ...videoCodecArgs(SEGMENT_SEC), ...rungRateArgs(rung, ':v'), ...dashOutput(join(job.clearDir, rung.name)));
  });
  if (job.hasAudio) {
    args.push('-map', '0:a:0', '-c:a', 'aac', '-b:a', `${AUDIO_KBPS}k`, '-ac', '2', '-ar', '48000', ...dashOutput(join(job.clearDir, AUDIO_ID)));
  }
  return args;
}

/** ffmpeg's own MPD is written but never read: Tollgate describes the encrypted bytes itself. */
function dashOutput(dir: string): string[] {
  return [
    '-f', 'dash', '-seg_duration', String(SEGMENT_SEC), '-use_template', '1', '-use_timeline', '1',
    '-init_seg_name', 'init.m4s', '-media_seg_name', SEGMENT_TEMPLATE, join(dir, 'clear.mpd'),
  ];
}
