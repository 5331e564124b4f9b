/**
 * The clear A and B variants of a watermarked title's lowest rendition, decrypted from its
 * published folder into `scratch` (which the caller keeps private and removes), for tracing to
 * decode: the lowest HLS rendition (AES-128), or, for a title packaged for DASH alone, the lowest
 * DASH video representation (CENC, decrypted by Tollgate's own code: Debian's ffmpeg 5.1 with
 * `-decryption_key` fails on a file of three or more of these fragments, "subsample size
 * exceeds the packet size left", and takes one key where key rotation needs several).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decryptInit, decryptSegment as decryptCenc, readInit } from '../cenc/index.js';
import { SEGMENT_SEC as DASH_SEGMENT_SEC } from '../dash/ladder.js';
import { lowestVideoRepresentation, periodOfSegment } from '../dash/published.js';
import { decryptSegment as decryptAes } from '../hls/encrypt.js';
import { MediaError } from '../ffmpeg.js';

export interface VariantFiles {
  /** Clear variant A and variant B, each one playable file. */
  readonly files: readonly [string, string];
  /** The length of each segment in seconds, in order. */
  readonly segmentSec: readonly number[];
  /** The number in the first segment's file name: HLS counts from 0, DASH from 1. */
  readonly firstNumber: number;
}

/** `hlsDir`: the title's hls/ folder; `key`: its AES-128 key. */
export async function hlsVariantFiles(hlsDir: string, key: Uint8Array, scratch: string): Promise<VariantFiles> {
  const master = await readFile(join(hlsDir, 'master.m3u8'), 'utf8');
  const rendition = master.split('\n').find((line) => line !== '' && !line.startsWith('#'))?.split('/')[0] ?? '';
  const segments = renditionSegments(await readFile(join(hlsDir, rendition, 'index.m3u8'), 'utf8'));
  const write = async (variant: string): Promise<string> => {
    const parts = await Promise.all(segments.map(async (s, n) => decryptAes(await readFile(join(hlsDir, rendition, variant, s.uri)), key, BigInt(n))));
    const file = join(scratch, `${variant}.ts`);
    await writeFile(file, Buffer.concat(parts), { mode: 0o600 });
    return file;
  };
  return { files: [await write('a'), await write('b')], segmentSec: segments.map((s) => s.durationSec), firstNumber: 0 };
}

/**
 * `dashDir`: the title's dash/ folder; `keyFor`: the content key of a KID. Each segment is
 * decrypted under its Period's KID; the init segments differ only in their protection, so the
 * first one, decrypted, heads both files.
 */
export async function dashVariantFiles(dashDir: string, keyFor: (kid: Uint8Array) => Uint8Array | undefined, scratch: string): Promise<VariantFiles> {
  const rep = lowestVideoRepresentation(await readFile(join(dashDir, 'manifest.mpd'), 'utf8'));
  if (rep === undefined) throw new MediaError('bad_sample', `${dashDir}: the MPD names no video representation`);
  const dir = join(dashDir, rep.id);
  const inits = await Promise.all(rep.periodStarts.map((_, p) => readFile(join(dir, `init-${p}.m4s`))));
  const protections = inits.map((init) => readInit(init).protection);
  const names = (await readdir(join(dir, 'a'))).filter((name) => /^seg-\d+\.m4s$/.test(name)).sort();
  const numbers = names.map((name) => Number(/\d+/.exec(name)![0]));
  if (numbers.length === 0 || numbers.some((n, i) => n !== numbers[0]! + i)) throw new MediaError('bad_sample', `${dir}/a: the segments are not numbered in a row`);
  const write = async (variant: string): Promise<string> => {
    const parts = [decryptInit(inits[0]!)];
    for (const [i, name] of names.entries()) {
      const protection = protections[periodOfSegment(rep, numbers[i]!)];
      if (protection === undefined) throw new MediaError('bad_sample', `${dir}: an init segment is not cenc-protected`);
      parts.push(decryptCenc(await readFile(join(dir, variant, name)), { ...protection, keyFor }));
    }
    const file = join(scratch, `${variant}.mp4`);
    await writeFile(file, Buffer.concat(parts), { mode: 0o600 });
    return file;
  };
  return { files: [await write('a'), await write('b')], segmentSec: names.map(() => DASH_SEGMENT_SEC), firstNumber: numbers[0]! };
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
