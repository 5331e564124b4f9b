/**
 * Packaging a title for DASH with Common Encryption ('cenc'), a key per quality tier and for
 * audio, and optional key-rotation Periods. ffmpeg encodes the clear ladder into a scratch
 * folder; Tollgate's own encryptor (../cenc) protects every init and media segment into a
 * staging folder that is published in one rename, or not at all:
 *
 *   outDir/manifest.mpd                 the MPD (./mpd.ts), license URL as a placeholder
 *   outDir/<rep>/init-<period>.m4s      init segment under the Period's key for that track
 *   outDir/<rep>/seg-NNNNN.m4s          encrypted media segments, 2 s each
 *   outDir/<rep>/{a,b}/seg-NNNNN.m4s    instead, for a watermarked title's video: the forensic
 *                                       variants A and B (../watermark/pattern.ts), encoded
 *                                       twice, cut at the same times, under the same keys
 *   outDir/<rep>/v/<name>.m4s           each variant segment hard-linked under its edge name
 *                                       (../watermark/variant-names.ts)
 *
 * <rep> is a video rung ("360p", "720p", …) or "audio". No key is written anywhere: the caller
 * answers `keys(label)` and keeps the keys (sealed) for the license server.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { commonPssh } from '../cenc/index.js';
import { locateMediaTools, MediaError, probe, runFfmpeg, type MediaTools } from '../ffmpeg.js';
import { publishDir } from '../staging.js';
import { dashBandwidth } from './bandwidth.js';
import { type KeyResolver, type KeyTrack, keyLabel, resolveKeys } from './keys.js';
import { AUDIO_ID, SEGMENT_SEC, type Tier, dashEncodeArgs, planDashLadder, tierOf } from './ladder.js';
import { formatMpd, type MpdRepresentation } from './mpd.js';
import { checkRotation, periodCount, periodOf } from './periods.js';
import { type ProtectJob, type PublishedSegment, protectRepresentation } from './protect.js';
import { type ClearTrack, readClearTrack } from './track.js';
import { markFilter, type Variant } from '../watermark/pattern.js';
import { linkVariantNames, variantNameKey } from '../watermark/variant-names.js';
import type { RungFilter } from '../ladder.js';

/** Share of the progress bar given to encoding; encryption is the rest. */
const ENCODE_SHARE = 0.9;

export interface PackageDashOptions {
  readonly input: string;
  readonly outDir: string;
  /** Answers 'sd' | 'hd' | 'uhd' | 'audio', or with rotation 'sd@0', 'audio@1', …; see keys.ts. */
  readonly keys: KeyResolver;
  /** A new key for every track every this many seconds (a multiple of 2), as DASH Periods. */
  readonly rotationSec?: number;
  /** Fractions in [0, 1], non-decreasing, ending with 1; a step names what was just done. */
  readonly onProgress?: (fraction: number, step?: string) => void;
  readonly signal?: AbortSignal;
  readonly tools?: MediaTools;
  /**
   * Where ffmpeg's clear output goes and stays, for verification (tests decrypt the published
   * segments and compare). Must not exist yet, nor lie inside outDir. By default a private
   * scratch folder, removed afterwards.
   */
  readonly clearDir?: string;
  /**
   * With a watermark key, every video representation is encoded twice, as forensic variants A
   * and B, both encrypted with the track's keys (random IVs: no IV is used twice under a key);
   * the init segments and the MPD are the same for both. Each variant segment is also
   * hard-linked under its edge name in <rep>/v/ (../watermark/variant-names.ts).
   */
  readonly watermarkKey?: Uint8Array;
}

export interface DashRepresentation {
  /** Also its folder under outDir. */
  readonly id: string;
  readonly kind: 'video' | 'audio';
  readonly tier?: Tier;
  readonly width?: number;
  readonly height?: number;
  /** MPD @bandwidth, bits/s, measured on the encrypted segments. */
  readonly bandwidth: number;
  /** Its KID (32 hex) in each Period, in order. */
  readonly kids: string[];
}

export interface PackagedDash {
  readonly representations: DashRepresentation[];
  readonly durationSec: number;
  readonly periods: number;
}

export async function packageDash(opts: PackageDashOptions): Promise<PackagedDash> {
  const { input, signal, onProgress, rotationSec } = opts;
  checkRotation(rotationSec);
  if (opts.clearDir !== undefined) checkClearDir(opts.clearDir, opts.outDir);
  signal?.throwIfAborted();
  const tools = opts.tools ?? (await locateMediaTools());
  const info = await probe(input, tools, signal);
  if (!info.hasVideo) throw new MediaError('no_video', `input has no video stream: ${input}`);
  const rungs = planDashLadder(info);
  const ids = [...rungs.map((r) => r.name), ...(info.hasAudio ? [AUDIO_ID] : [])];
  const variants: (Variant | undefined)[] = opts.watermarkKey ? ['a', 'b'] : [undefined];
  const encodeShare = ENCODE_SHARE / variants.length;
  const withClear = <T>(scratch: string, use: (dir: string) => Promise<T>): Promise<T> =>
    opts.clearDir === undefined ? use(scratch) : mkdir(opts.clearDir).then(() => use(opts.clearDir!));

  return publishDir(
    opts.outDir,
    (staged, scratch) =>
      withClear(scratch, async (clearDir) => {
        const encodes: ClearTrack[][] = [];
        for (const [v, variant] of variants.entries()) {
          // Variant B is video only: the audio is not marked, and A's serves both.
          const encoded = v === 0 ? ids : rungs.map((r) => r.name);
          const dir = join(clearDir, variant ?? '');
          for (const id of encoded) await mkdir(join(dir, id), { recursive: true });
          const mark: RungFilter | undefined = variant && ((rung, from, to) => markFilter(opts.watermarkKey!, variant, rung, from, to));
          await runFfmpeg(dashEncodeArgs({ input, rungs, hasAudio: info.hasAudio && v === 0, clearDir: dir, mark }), {
            tools,
            durationSec: info.durationSec,
            signal,
            onProgress: onProgress && ((f) => onProgress((v + f) * encodeShare)),
          });
          onProgress?.((v + 1) * encodeShare, `encoded ${variant ? `${variant}: ` : ''}${encoded.join(', ')}`);
          encodes.push(await Promise.all(encoded.map((id) => readClearTrack(join(dir, id)))));
        }
        const [tracks, marked] = encodes;
        if (marked !== undefined) checkSameCuts(ids, tracks!, marked);
        return encryptAll({ ids, tracks: tracks!, marked, staged, opts });
      }),
    signal,
  );
}

/**
 * A session switches variant between segments, so B must be cut where A is, and its init
 * segment (codec configuration) must be A's: otherwise a player would skip or repeat a moment,
 * or decode B with A's configuration.
 */
function checkSameCuts(ids: readonly string[], tracks: readonly ClearTrack[], marked: readonly ClearTrack[]): void {
  for (const [i, b] of marked.entries()) {
    const a = tracks[i]!;
    const differ = (what: string) => new MediaError('ffmpeg_failed', `the A and B variants of ${ids[i]} differ: ${what}`);
    if (Buffer.compare(a.init, b.init) !== 0) throw differ('init segments');
    const cut = (t: ClearTrack) => t.segments.map((s) => `${s.number}@${s.start}+${s.duration}`).join(' ');
    if (cut(a) !== cut(b)) throw differ('segment times');
  }
}

interface EncryptJob {
  readonly ids: readonly string[];
  readonly tracks: readonly ClearTrack[];
  /** Variant B of the video tracks (the first ones of `tracks`), for a watermarked title. */
  readonly marked: readonly ClearTrack[] | undefined;
  readonly staged: string;
  readonly opts: PackageDashOptions;
}

async function encryptAll({ ids, tracks, marked, staged, opts }: EncryptJob): Promise<PackagedDash> {
  const { rotationSec, signal, onProgress } = opts;
  const seconds = (t: ClearTrack, ticks: number): number => ticks / t.info.timescale;
  const end = (t: ClearTrack): number => seconds(t, t.segments.at(-1)!.start + t.segments.at(-1)!.duration);
  const count = periodCount(Math.max(...tracks.filter((t) => t.info.kind === 'video').map(end)), rotationSec);
  const trackKeys = tracks.map((t): KeyTrack => (t.info.kind === 'audio' ? 'audio' : tierOf(t.height ?? 0)));
  const labelsOf = (k: KeyTrack): string[] =>
    Array.from({ length: count }, (_, p) => keyLabel(k, rotationSec === undefined ? undefined : p));
  const keys = await resolveKeys(trackKeys.flatMap(labelsOf), opts.keys);
  const keysOf = (k: KeyTrack) => labelsOf(k).map((label) => keys.get(label)!);
  const periodKids = Array.from({ length: count }, (_, p) => [...new Set(trackKeys)].map((k) => keysOf(k)[p]!.kidBytes));

  const representations: MpdRepresentation[] = [];
  for (const [i, track] of tracks.entries()) {
    const id = ids[i]!;
    const periods = track.segments.map((s) => periodOf(seconds(track, s.start), seconds(track, s.start + s.duration), rotationSec, count));
    const missing = Array.from({ length: count }, (_, p) => p).find((p) => !periods.includes(p));
    if (missing !== undefined) throw new MediaError('bad_sample', `${id} has no media in key period ${missing}: its track ends too early`);
    await mkdir(join(staged, id));
    const { segments, sizes } = await protectTrack({ track, marked: marked?.[i], dir: join(staged, id), keys: keysOf(trackKeys[i]!), periodKids, periods, signal });
    if (marked?.[i] !== undefined) await linkVariantNames(join(staged, id), `dash/${id}`, variantNameKey(opts.watermarkKey!));
    const sized = segments.map((s, n) => ({ bytes: sizes[n]!, durationSec: seconds(track, s.duration) }));
    representations.push({
      id,
      kind: track.info.kind,
      codecs: track.codecs,
      bandwidth: dashBandwidth(sized, SEGMENT_SEC),
      width: track.width,
      height: track.height,
      sampleRate: track.sampleRate,
      channels: track.channels,
      timescale: track.info.timescale,
      segments,
      kids: keysOf(trackKeys[i]!).map((k) => k.kid),
    });
    onProgress?.(ENCODE_SHARE + ((i + 1) / tracks.length) * (1 - ENCODE_SHARE), `encrypted ${id}`);
  }
  const durationSec = Math.max(...tracks.map(end));
  const pssh = periodKids.map((kids) => commonPssh(kids));
  await writeFile(join(staged, 'manifest.mpd'), formatMpd({ durationSec, minBufferSec: SEGMENT_SEC, rotationSec, pssh, representations }));
  return {
    representations: representations.map((r, i) => ({
      id: r.id,
      kind: r.kind,
      ...(r.kind === 'video' ? { tier: trackKeys[i] as Tier, width: r.width, height: r.height } : {}),
      bandwidth: r.bandwidth,
      kids: [...r.kids],
    })),
    durationSec,
    periods: count,
  };
}

/** One representation encrypted, or both variants of a watermarked one; `sizes`: the larger variant's bytes per segment. */
async function protectTrack(job: ProtectJob & { readonly marked: ClearTrack | undefined }): Promise<{ segments: PublishedSegment[]; sizes: number[] }> {
  const { marked, ...protect } = job;
  if (marked === undefined) {
    const segments = await protectRepresentation(protect);
    return { segments, sizes: segments.map((s) => s.bytes) };
  }
  await Promise.all(['a', 'b'].map((variant) => mkdir(join(job.dir, variant))));
  const segments = await protectRepresentation({ ...protect, variant: 'a' });
  const other = await protectRepresentation({ ...protect, track: marked, variant: 'b' });
  return { segments, sizes: segments.map((s, n) => Math.max(s.bytes, other[n]!.bytes)) };
}

/** The clear copy must never be published: refuse a folder inside (or equal to) outDir. */
function checkClearDir(clearDir: string, outDir: string): void {
  const rel = relative(resolve(outDir), resolve(clearDir));
  if (!(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))) {
    throw new MediaError('bad_argument', 'clearDir must lie outside outDir');
  }
}
