/**
 * Packaging a title for HLS AES-128: from a source video with ffmpeg, or, where no ffmpeg is
 * installed, from the clear demo sample shipped in assets/demo-sample. Both end in the same
 * encryptHlsTree call, and both publish outDir all at once or not at all:
 *
 *   outDir/master.m3u8                 multivariant playlist (BANDWIDTH, RESOLUTION, CODECS)
 *   outDir/<rendition>/index.m3u8      media playlist, EXT-X-KEY URI="../keys/<keyId>"
 *   outDir/<rendition>/seg-NNNNN.ts    AES-128-CBC segments, IV = media sequence number
 *   (watermarked: outDir/<rendition>/{a,b}/seg-NNNNN.ts, the two forensic variants, each
 *    also hard-linked as outDir/<rendition>/v/<name>.ts for edges: ../watermark/variant-names.ts)
 *
 * The key is not written: the gateway serves hls/keys/<keyId> from the key store.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateMediaTools, MediaError, probe, runFfmpeg, type MediaTools } from '../ffmpeg.js';
import { checkKey } from './encrypt.js';
import { ladderArgs, planLadder } from './ladder.js';
import type { RungFilter } from '../ladder.js';
import { markFilter, type Variant } from '../watermark/pattern.js';
import { linkVariantNames, variantNameKey } from '../watermark/variant-names.js';
import { publishDir } from '../staging.js';
import { encryptHlsTree, type PackagedHls } from './tree.js';

/** Share of the progress bar given to encoding; encryption is the rest. */
const ENCODE_SHARE = 0.9;

export interface PackageHlsOptions {
  readonly input: string;
  readonly outDir: string;
  readonly keyId: string;
  /** The 16-byte AES-128 content key, as stored in the key store. */
  readonly key: Uint8Array;
  /** Target segment length, 2–4 s (default 4): short enough that an evicted session stops quickly. */
  readonly segmentSec?: number;
  /** Fractions in [0, 1], non-decreasing, ending with 1; a step names what was just done. */
  readonly onProgress?: (fraction: number, step?: string) => void;
  readonly signal?: AbortSignal;
  readonly tools?: MediaTools;
  /**
   * With a watermark key, every video rendition is encoded twice, as forensic variants A and B
   * (../watermark/pattern.ts), both encrypted with `key`: <rendition>/a/seg-NNNNN.ts and
   * <rendition>/b/seg-NNNNN.ts, while the playlists name each segment once, bare, and the
   * gateway picks the variant per session (docs/WATERMARK.md). Each variant segment is also
   * hard-linked under its unguessable edge name in <rendition>/v/ (../watermark/variant-names.ts).
   */
  readonly watermarkKey?: Uint8Array;
}

const VARIANTS: readonly Variant[] = ['a', 'b'];

export async function packageHls(opts: PackageHlsOptions): Promise<PackagedHls> {
  const { input, keyId, key, signal, onProgress, segmentSec = 4 } = opts;
  checkKey(keyId, key);
  if (!Number.isInteger(segmentSec) || segmentSec < 2 || segmentSec > 4) {
    throw new MediaError('bad_argument', 'segmentSec must be 2, 3 or 4');
  }
  signal?.throwIfAborted();
  const tools = opts.tools ?? (await locateMediaTools());
  const info = await probe(input, tools, signal);
  if (!info.hasVideo) throw new MediaError('no_video', `input has no video stream: ${input}`);
  const rungs = planLadder(info);
  const variants = opts.watermarkKey ? VARIANTS : [undefined];
  const share = 1 / variants.length;
  return publishDir(
    opts.outDir,
    async (staged, scratch) => {
      let packaged: PackagedHls | undefined;
      let cuts: string[] | undefined;
      for (const [i, variant] of variants.entries()) {
        const clearDir = join(scratch, variant ?? '');
        const progress = onProgress && ((f: number, step?: string) => onProgress((i + f) * share, step && (variant ? `${variant}: ${step}` : step)));
        const mark: RungFilter | undefined = variant && ((rung, from, to) => markFilter(opts.watermarkKey!, variant, rung, from, to));
        await runFfmpeg(ladderArgs({ input, rungs, hasAudio: info.hasAudio, clearDir, segmentSec, mark }), {
          tools,
          durationSec: info.durationSec,
          signal,
          onProgress: progress && ((f) => progress(f * ENCODE_SHARE)),
        });
        progress?.(ENCODE_SHARE, `encoded ${rungs.map((r) => r.name).join(', ')}`);
        const done = await encryptHlsTree({
          clearDir,
          outDir: staged,
          keyId,
          key,
          segmentDir: variant,
          signal,
          onRendition: progress && ((f, step) => progress(ENCODE_SHARE + f * (1 - ENCODE_SHARE), step)),
        });
        // B rewrote the playlists A wrote: they must be the same, or a session switching variant
        // between segments would skip or repeat a moment.
        const playlists = await Promise.all(rungs.map((r) => readFile(join(staged, r.name, 'index.m3u8'), 'utf8')));
        if (cuts && playlists.some((p, r) => p !== cuts![r])) {
          throw new MediaError('ffmpeg_failed', 'the A and B variants were not cut at the same times');
        }
        cuts = playlists;
        packaged = done;
      }
      if (opts.watermarkKey) {
        const nameKey = variantNameKey(opts.watermarkKey);
        for (const rung of rungs) await linkVariantNames(join(staged, rung.name), `hls/${rung.name}`, nameKey);
      }
      return packaged!;
    },
    signal,
  );
}

export interface ClearSampleOptions {
  /** A clear HLS tree such as assets/demo-sample (see demoSampleDir). */
  readonly sampleDir: string;
  readonly outDir: string;
  readonly keyId: string;
  readonly key: Uint8Array;
  readonly signal?: AbortSignal;
}

/** Encrypts a ready-made clear HLS tree: the demo works on machines without ffmpeg. */
export async function packageHlsFromClearSample(opts: ClearSampleOptions): Promise<PackagedHls> {
  checkKey(opts.keyId, opts.key);
  return publishDir(
    opts.outDir,
    (staged) => encryptHlsTree({ clearDir: opts.sampleDir, outDir: staged, keyId: opts.keyId, key: opts.key, signal: opts.signal }),
    opts.signal,
  );
}

/**
 * assets/demo-sample of this package. Found by walking up from this module because it runs
 * both from src/ (tests) and from dist/src/ (the built CLI).
 */
export function demoSampleDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'assets', 'demo-sample');
    if (existsSync(join(candidate, 'master.m3u8'))) return candidate;
  }
  throw new MediaError('bad_sample', 'assets/demo-sample was not found beside the tollgate package');
}
