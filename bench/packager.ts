/**
 * The packager's encryption throughput, in one process: Tollgate's CENC encryptSegment over the
 * clear DASH segments its own packager leaves (packageDash with clearDir), and the HLS AES-128
 * encryptSegment over the clear MPEG-TS segments of its HLS ladder, each pass over the same
 * in-memory bytes, against copying those bytes: fs.copyFile into a temp dir, and Buffer.from.
 * ffmpeg's encoding, which dominates packaging time, is not measured.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { encryptSegment as encryptCenc, randomIvs } from '../src/media/cenc/index.js';
import { packageDash } from '../src/media/dash/index.js';
import { readClearTrack } from '../src/media/dash/track.js';
import { probe, runFfmpeg } from '../src/media/ffmpeg.js';
import { encryptSegment as encryptHls } from '../src/media/hls/encrypt.js';
import { ladderArgs, planLadder } from '../src/media/hls/ladder.js';
import { fmt, say } from './log.js';
import { tempDir } from './processes.js';
import { median } from './token.js';
import { DASH_CLIP, makeClip } from './tollgate.js';

export interface PackagerOptions {
  readonly rounds: number;
  /** Minimum seconds of passes per operation and round. */
  readonly secondsPerRound: number;
}

export interface PackagerRow {
  readonly name: string;
  readonly files: number;
  /** Bytes of one pass. */
  readonly bytes: number;
  /** Median round, 10^6 bytes per second of input. */
  readonly mbPerSec: number;
  /** 'reference': the bare cipher over the same bytes, for what the container work costs. */
  readonly kind: 'encrypt' | 'reference' | 'copy';
}

export interface PackagerResult {
  readonly clip: string;
  /** Wall seconds of the whole packageDash call (ffmpeg's encode, then encryption). */
  readonly packageDashSec: number;
  readonly rounds: number;
  readonly secondsPerRound: number;
  readonly rows: readonly PackagerRow[];
  /** Which row is the file copy and which the memory copy. */
  readonly fileCopy: PackagerRow;
  readonly memoryCopy: PackagerRow;
}

interface Op {
  readonly name: string;
  readonly kind: PackagerRow['kind'];
  readonly files: number;
  readonly bytes: number;
  pass(): void;
}

const TIMEOUT = 300_000;

export async function benchPackager(opts: PackagerOptions): Promise<PackagerResult> {
  const clipName = `${DASH_CLIP.seconds} s ${DASH_CLIP.width}x${DASH_CLIP.height} H.264/AAC clip`;
  say(`\n== packager: ffmpeg ${clipName}, Tollgate's DASH and HLS ladders in the clear`);
  const work = tempDir('packager');
  const clip = await makeClip(work, DASH_CLIP);
  const signal = AbortSignal.timeout(TIMEOUT);

  // DASH: Tollgate's own packager, keeping ffmpeg's clear fMP4 for us.
  const clearDash = join(work, 'dash-clear');
  const keys = (): { kid: string; key: Uint8Array } => ({ kid: randomBytes(16).toString('hex'), key: randomBytes(16) });
  const started = process.hrtime.bigint();
  await packageDash({ input: clip, outDir: join(work, 'dash-out'), clearDir: clearDash, keys, signal });
  const packageDashSec = Number(process.hrtime.bigint() - started) / 1e9;
  const tracks = await Promise.all(readdirSync(clearDash).map((rep) => readClearTrack(join(clearDash, rep))));
  const dashSegments = tracks.flatMap((track) => {
    const options = { key: randomBytes(16), trackKind: track.info.kind, nalLengthSize: track.info.nalLengthSize, ivSource: randomIvs() };
    return track.segments.map((s) => ({ file: s.path, bytes: readFileSync(s.path), options }));
  });

  // HLS: the clear MPEG-TS ladder exactly as packageHls has ffmpeg write it (4 s segments).
  const clearHls = join(work, 'hls-clear');
  const info = await probe(clip, undefined, signal);
  await runFfmpeg(ladderArgs({ input: clip, rungs: planLadder(info), hasAudio: info.hasAudio, clearDir: clearHls, segmentSec: 4 }), { signal });
  const tsFiles = readdirSync(clearHls, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(clearHls, f));
  const tsSegments = tsFiles.map((file) => ({ file, bytes: readFileSync(file) }));
  const hlsKey = randomBytes(16);

  const video = dashSegments.filter((s) => s.options.trackKind === 'video');
  const audio = dashSegments.filter((s) => s.options.trackKind === 'audio');
  const everything = [...dashSegments, ...tsSegments];
  const copyDir = tempDir('copy');
  let sink = 0;
  function op<S extends { readonly bytes: Buffer }>(name: string, kind: Op['kind'], segments: readonly S[], one: (s: S) => number): Op {
    const bytes = segments.reduce((a, s) => a + s.bytes.length, 0);
    return { name, kind, files: segments.length, bytes, pass: () => segments.forEach((s) => (sink += one(s))) };
  }
  const fileCopy = op('`fs.copyFile` of the same clear segments into a temp dir', 'copy', everything, (s) => {
    copyFileSync(s.file, join(copyDir, `${basename(join(s.file, '..'))}-${basename(s.file)}`));
    return 1;
  });
  const memoryCopy = op('`Buffer.from` (memory copy) of the same segments', 'copy', everything, (s) => Buffer.from(s.bytes).length);
  const ops: Op[] = [
    op('DASH CENC `encryptSegment`, every representation', 'encrypt', dashSegments, (s) => encryptCenc(s.bytes, s.options).length),
    op('DASH CENC `encryptSegment`, video (subsamples)', 'encrypt', video, (s) => encryptCenc(s.bytes, s.options).length),
    op('DASH CENC `encryptSegment`, audio (whole samples)', 'encrypt', audio, (s) => encryptCenc(s.bytes, s.options).length),
    op('reference: one `aes-128-ctr` pass over each DASH segment whole', 'reference', dashSegments, (s) => {
      const cipher = createCipheriv('aes-128-ctr', s.options.key, hlsKey);
      return cipher.update(s.bytes).length + cipher.final().length;
    }),
    op('HLS AES-128 `encryptSegment`, MPEG-TS', 'encrypt', tsSegments, (s) => encryptHls(s.bytes, hlsKey, 0n).length),
    fileCopy,
    memoryCopy,
  ];
  for (const o of ops) say(`${o.name}: ${o.files} segments, ${fmt(o.bytes)} bytes a pass`);

  // Warm-up, then rounds interleaved so drift of the machine hits every operation alike.
  for (const o of ops) timed(o, 0.3);
  const rates: number[][] = ops.map(() => []);
  for (let round = 0; round < opts.rounds; round++) {
    for (const [i, o] of ops.entries()) rates[i]!.push(timed(o, opts.secondsPerRound));
  }
  if (sink === 0) throw new Error('packager bench: nothing was computed');
  const rows = ops.map((o, i): PackagerRow => ({ name: o.name, kind: o.kind, files: o.files, bytes: o.bytes, mbPerSec: median(rates[i]!) }));
  for (const r of rows) say(`${r.name.padEnd(62)} ${fmt(r.mbPerSec).padStart(6)} MB/s`);
  return { clip: clipName, packageDashSec, rounds: opts.rounds, secondsPerRound: opts.secondsPerRound, rows, fileCopy: rows[ops.indexOf(fileCopy)]!, memoryCopy: rows[ops.indexOf(memoryCopy)]! };
}

/** Whole passes until at least `seconds` have gone by: MB (10^6 bytes) per second. */
function timed(o: Op, seconds: number): number {
  const start = process.hrtime.bigint();
  let passes = 0;
  let ns = 0;
  do {
    o.pass();
    passes++;
    ns = Number(process.hrtime.bigint() - start);
  } while (ns < seconds * 1e9);
  return (passes * o.bytes) / 1e6 / (ns / 1e9);
}
