/**
 * ABR ladder planning and the video encoder settings shared by the HLS and DASH packagers. The
 * source is decoded once and split into every rendition; keyframes are forced on the same
 * timestamps in all of them, so segment boundaries line up across renditions and a player can
 * switch at any boundary. Each packager brings its own steps and muxer.
 */
import { fileInput } from './ffmpeg.js';

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

export interface LadderStep {
  readonly height: number;
  readonly videoKbps: number;
  readonly audioKbps: number;
}

/**
 * The steps up to the source height (never upscaled), lowest first; a source below the lowest
 * step gets one rung at its own size.
 */
export function planRungs(source: { readonly width: number; readonly height: number }, steps: readonly [LadderStep, ...LadderStep[]]): Rung[] {
  const fits = steps.filter((r) => r.height <= source.height);
  const picked = fits.length > 0 ? fits : [{ ...steps[0], height: even(source.height) }];
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

/** A filtergraph fragment from label `from` to label `to` applied to a scaled rung (a watermark). */
export type RungFilter = (rung: Rung, from: string, to: string) => string;

/**
 * The input and a filter graph with one scaled copy of the first video stream per rung,
 * labelled [v0]…[vN-1], each passed through `mark` after scaling when one is given.
 */
export function scaleArgs(input: string, rungs: readonly Rung[], mark?: RungFilter): string[] {
  const split = `[0:v:0]split=${rungs.length}${rungs.map((_, i) => `[s${i}]`).join('')}`;
  const scales = rungs.map((r, i) => {
    const scaled = `[s${i}]scale=${r.width}:${r.height},setsar=1`;
    return mark ? `${scaled}[t${i}];${mark(r, `t${i}`, `v${i}`)}` : `${scaled}[v${i}]`;
  });
  return ['-i', fileInput(input), '-filter_complex', [split, ...scales].join(';')];
}

/** H.264 for every video stream of an output, a keyframe at each multiple of segmentSec and nowhere it was not asked for. */
export function videoCodecArgs(segmentSec: number): string[] {
  return [
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-sc_threshold', '0',
    '-force_key_frames', `expr:gte(t,n_forced*${segmentSec})`,
  ];
}

/** One rung's profile and constrained VBR (the peak stays near the advertised bitrate); `stream` is e.g. ":v:2", or ":v" for a one-video output. */
export function rungRateArgs(rung: Rung, stream: string): string[] {
  return [
    `-profile${stream}`, rung.profile, `-b${stream}`, `${rung.videoKbps}k`,
    `-maxrate${stream}`, `${Math.round(rung.videoKbps * 1.1)}k`, `-bufsize${stream}`, `${rung.videoKbps * 2}k`,
  ];
}
