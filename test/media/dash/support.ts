/**
 * Shared by the DASH packaging tests: a 4 s 1280x720 H.264+AAC clip (so an SD and an HD rung
 * exist), a key book that answers the packager's labels and remembers them, readers for the
 * published MPD and pssh, and decryption of a published representation.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptInit, decryptSegment, readInit } from '../../../src/media/cenc/index.js';
import { demoClipToFile } from '../../../src/media/ffmpeg-demo.js';
import { type ContentKey, type PackagedDash, packageDash } from '../../../src/media/dash/index.js';

export interface KeyBook {
  readonly resolve: (label: string) => ContentKey;
  /** Labels in the order the packager asked for them. */
  readonly labels: string[];
  readonly byLabel: Map<string, ContentKey>;
  readonly byKid: Map<string, ContentKey & { label: string }>;
}

export function keyBook(): KeyBook {
  const labels: string[] = [];
  const byLabel = new Map<string, ContentKey>();
  const byKid = new Map<string, ContentKey & { label: string }>();
  return {
    labels,
    byLabel,
    byKid,
    resolve: (label) => {
      labels.push(label);
      const key = { kid: randomBytes(16).toString('hex'), key: new Uint8Array(randomBytes(16)) };
      byLabel.set(label, key);
      byKid.set(key.kid, { ...key, label });
      return key;
    },
  };
}

export interface Packaged {
  readonly dir: string;
  readonly outDir: string;
  readonly clearDir: string;
  readonly result: PackagedDash;
  readonly keys: KeyBook;
  readonly mpd: string;
  readonly progress: number[];
}

/** The test clip by default; smaller ones where only failure paths run. */
export async function makeClip(dir: string, size = { durationSec: 4, width: 1280, height: 720 }): Promise<string> {
  const clip = join(dir, `clip-${size.width}x${size.height}-${size.durationSec}s.mp4`);
  await demoClipToFile(clip, size);
  return clip;
}

/** Packages `clip` into a fresh folder, keeping the clear ffmpeg output beside it. */
export async function packageClip(clip: string, rotationSec?: number): Promise<Packaged> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-dash-test-'));
  const keys = keyBook();
  const progress: number[] = [];
  const outDir = join(dir, 'title', 'dash');
  const clearDir = join(dir, 'clear');
  const result = await packageDash({ input: clip, outDir, clearDir, keys: keys.resolve, rotationSec, onProgress: (f) => progress.push(f) });
  return { dir, outDir, clearDir, result, keys, mpd: await readFile(join(outDir, 'manifest.mpd'), 'utf8'), progress };
}

export function removeAll(...packaged: (Packaged | undefined)[]): Promise<unknown> {
  return Promise.all(packaged.map((p) => p && rm(p.dir, { recursive: true, force: true })));
}

/** Published media segment names of a representation, in order. */
export async function segmentNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => /^seg-\d+\.m4s$/.test(n)).sort();
}

export interface ParsedPssh {
  version: number;
  systemId: string;
  kids: string[];
  dataSize: number;
}

/** A pssh box (ISO/IEC 23001-7 §8.1) read field by field. */
export function parsePssh(box: Uint8Array): ParsedPssh {
  const b = Buffer.from(box);
  if (b.readUInt32BE(0) !== b.length || b.toString('latin1', 4, 8) !== 'pssh') throw new Error('not one pssh box');
  const version = b[8]!;
  const systemId = b.toString('hex', 12, 28);
  let at = 28;
  const kids: string[] = [];
  if (version === 1) {
    const count = b.readUInt32BE(at);
    at += 4;
    for (let i = 0; i < count; i++, at += 16) kids.push(b.toString('hex', at, at + 16));
  }
  const dataSize = b.readUInt32BE(at);
  if (at + 4 + dataSize !== b.length) throw new Error('pssh size mismatch');
  return { version, systemId, kids, dataSize };
}

/**
 * ffmpeg's per-frame MD5s of a fragmented MP4 given as bytes (init + segments), decrypted with
 * `key` when given. The bytes go through a pipe: Debian's ffmpeg 5.1, reading a seekable file of
 * three or more encrypted fragments, parses ahead and then decrypts samples with the aux info of
 * the last fragment it parsed (it fails on its own cenc-correct input); from a pipe it reads the
 * fragments in order, each with its own senc. Side data ("S=…") is left out.
 */
export function pipedFrameMd5(bytes: Uint8Array, options: { key?: Uint8Array; copy?: boolean } = {}): Promise<string> {
  const key = options.key ? ['-decryption_key', Buffer.from(options.key).toString('hex')] : [];
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', ...key, '-i', 'pipe:0', '-map', '0', ...(options.copy ? ['-c', 'copy'] : []), '-f', 'framemd5', '-'];
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/ffmpeg', args, { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`ffmpeg: ${stderr.trim().split('\n').at(-1)}`));
      else resolve(stdout.replace(/, S=\d+.*$/gm, ''));
    });
    child.stdin!.end(bytes);
  });
}

/** Decrypts a published init and segment with the test's keys (found by KID, so rotation just works). */
export function decryptWith(keys: KeyBook, init: Uint8Array, segment: Uint8Array): { init: Uint8Array; segment: Uint8Array } {
  const protection = readInit(init).protection;
  if (!protection) throw new Error('init segment is not protected');
  const keyFor = (kid: Uint8Array) => keys.byKid.get(Buffer.from(kid).toString('hex'))?.key;
  return { init: decryptInit(init), segment: decryptSegment(segment, { ...protection, keyFor }) };
}

/** The ContentProtection and SegmentTemplate text of each Representation, per Period. */
export function mpdRepresentations(mpd: string): { period: number; id: string; body: string; start: string }[] {
  const periods = mpd.split('<Period ').slice(1);
  return periods.flatMap((period, p) =>
    [...period.matchAll(/<Representation id="([^"]+)"[^>]*>([\s\S]*?)<\/Representation>/g)].map((m) => ({
      period: p,
      id: m[1]!,
      body: m[2]!,
      start: /^id="\d+" start="([^"]+)"/.exec(period)?.[1] ?? '',
    })),
  );
}
