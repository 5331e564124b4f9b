/**
 * The ABR ladder and the one ffmpeg command that encodes it. The source is decoded once and
 * split into every rendition; keyframes are forced on the same timestamps in all of them, so
 * segment boundaries line up across renditions and a player can switch at any boundary.
 * ffmpeg writes CLEAR MPEG-TS here: encryption is Tollgate's own (./encrypt.ts), which avoids
 * ffmpeg 5.1's inconsistent IV attribute (FORMATS.md §9).
 */
import { join } from 'node:path';
import { fileInput } from '../ffmpeg.js';

export interface Rung {
  /** Also the rendition's folder name, e.g. "480p". */
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly videoKbps: number;
  readonly audioKbps: number;
  /** Main up to SD for old decoders; High above, where every HD decoder has it. */
  readonly profile: 'main' | 'high';
}

const LADDER = [
  { height: 240, videoKbps: 400, audioKbps: 64 },
  { height: 480, videoKbps: 1200, audioKbps: 96 },
  { height: 720, videoKbps: 2800, audioKbps: 128 },
  { height: 1080, videoKbps: 5000, audioKbps: 128 },
] as const;

/** The rungs up to the source height (never upscaled); a source below 240p gets one rung at its own size. */
export function planLadder(source: { readonly width: number; readonly height: number }): Rung[] {
  const fits = LADDER.filter((r) => r.height <= source.height);
  const base = LADDER[0];
  const picked = fits.length > 0 ? fits : [{ ...base, height: even(source.height) }];
  return picked.map((r) => ({
    name: `${r.height}p`,
    height: r.height,
    // Keep the source's aspect ratio; H.264 with 4:2:0 chroma needs even dimensions.
    width: even((source.width * r.height) / source.height),
    videoKbps: r.videoKbps,
    audioKbps: r.audioKbps,
    profile: r.height > 480 ? 'high' : 'main',
  }));
}

/** Nearest even number, ties down: 854x480 scales to the customary 426x240. */
function even(n: number): number {
  return Math.max(2, 2 * Math.ceil(n / 2 - 0.5));
}

export interface LadderJob {
  readonly input: string;
  readonly rungs: readonly Rung[];
  readonly hasAudio: boolean;
  /** Receives master.m3u8 and <rung>/index.m3u8 + <rung>/seg-NNNNN.ts. */
  readonly clearDir: string;
  readonly segmentSec: number;
}

/** ffmpeg arguments for the whole ladder as one clear HLS tree (ffmpeg's hls muxer, var_stream_map). */
export function ladderArgs(job: LadderJob): string[] {
  const { rungs, hasAudio, segmentSec } = job;
  const split = `[0:v:0]split=${rungs.length}${rungs.map((_, i) => `[s${i}]`).join('')}`;
  const scales = rungs.map((r, i) => `[s${i}]scale=${r.width}:${r.height},setsar=1[v${i}]`);
  const args = ['-i', fileInput(job.input), '-filter_complex', [split, ...scales].join(';')];
  rungs.forEach((_, i) => args.push('-map', `[v${i}]`, ...(hasAudio ? ['-map', '0:a:0'] : [])));
  args.push('-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-sc_threshold', '0');
  args.push('-force_key_frames', `expr:gte(t,n_forced*${segmentSec})`);
  rungs.forEach((r, i) => {
    // Constrained VBR: the peak stays near the advertised bitrate, so BANDWIDTH is honest.
    args.push(`-profile:v:${i}`, r.profile, `-b:v:${i}`, `${r.videoKbps}k`);
    args.push(`-maxrate:v:${i}`, `${Math.round(r.videoKbps * 1.1)}k`, `-bufsize:v:${i}`, `${r.videoKbps * 2}k`);
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
