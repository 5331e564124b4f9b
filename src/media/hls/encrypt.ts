/**
 * HLS AES-128 (RFC 8216 §4.3.2.4, §5.2): each segment is encrypted whole with AES-128-CBC and
 * PKCS#7 padding, CBC restarting at every segment, IV = the segment's media sequence number.
 * Threat handled: clear media published beside encrypted media. This only reads the clear
 * rendition and writes ciphertext and the playlist; the key itself is never written (the
 * server serves it at ../keys/<kid> from its key store, to live, entitled sessions only).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaError } from '../ffmpeg.js';
import { measureBandwidth, type Bandwidth } from './bandwidth.js';
import { formatMediaPlaylist, parseMediaPlaylist, targetDurationSec } from './playlist.js';

/** Key ids appear in key URIs and server paths: keep them to URL-safe characters. */
const KEY_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function checkKey(keyId: string, key: Uint8Array): void {
  if (!KEY_ID.test(keyId)) throw new MediaError('bad_argument', 'keyId must be 1-128 characters of [A-Za-z0-9_-]');
  if (key.length !== 16) throw new MediaError('bad_argument', `an AES-128 key is 16 bytes, got ${key.length}`);
}

/** The media sequence number as a 128-bit big-endian integer; all 64 bits of it are kept. */
export function sequenceIv(sequence: bigint): Buffer {
  if (sequence < 0n || sequence >= 1n << 64n) throw new RangeError('a media sequence number is a 64-bit unsigned integer');
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(sequence, 8);
  return iv;
}

export function encryptSegment(clear: Uint8Array, key: Uint8Array, sequence: bigint): Buffer {
  const cipher = createCipheriv('aes-128-cbc', key, sequenceIv(sequence));
  return Buffer.concat([cipher.update(clear), cipher.final()]);
}

/** The clear segment back, for Tollgate's own reading of its media (the watermark tracer). */
export function decryptSegment(encrypted: Uint8Array, key: Uint8Array, sequence: bigint): Buffer {
  const decipher = createDecipheriv('aes-128-cbc', key, sequenceIv(sequence));
  return Buffer.concat([decipher.update(encrypted), decipher.final()]);
}

export interface RenditionJob {
  /** Holds the clear media playlist and its segments. */
  readonly clearDir: string;
  /** Receives the encrypted segments and playlist under the same names; created if missing. */
  readonly outDir: string;
  /** File name of the media playlist in both folders. */
  readonly playlist?: string;
  readonly keyId: string;
  readonly key: Uint8Array;
  /** Sub-folder of outDir for the segments (a watermark variant, "a" or "b"); the playlist still names them bare. */
  readonly segmentDir?: string;
  readonly signal?: AbortSignal;
}

export interface EncryptedRendition {
  readonly segments: number;
  readonly durationSec: number;
  readonly bandwidth: Bandwidth;
}

/** Encrypts one rendition; the playlist (media sequence 0, no IV attribute) is written last. */
export async function encryptHlsRendition(job: RenditionJob): Promise<EncryptedRendition> {
  checkKey(job.keyId, job.key);
  const playlist = job.playlist ?? 'index.m3u8';
  const clearPlaylist = join(job.clearDir, playlist);
  const segments = parseMediaPlaylist((await readSample(clearPlaylist)).toString('utf8'), clearPlaylist);
  const segmentDir = join(job.outDir, job.segmentDir ?? '');
  await mkdir(segmentDir, { recursive: true });
  const measured = [];
  for (const [index, segment] of segments.entries()) {
    job.signal?.throwIfAborted();
    const clear = await readSample(join(job.clearDir, segment.uri));
    const encrypted = encryptSegment(clear, job.key, BigInt(index));
    // 'wx': a playlist naming one file twice must not make two segments share bytes.
    await writeFile(join(segmentDir, segment.uri), encrypted, { flag: 'wx' });
    measured.push({ durationSec: segment.durationSec, bytes: encrypted.length });
  }
  await writeFile(join(job.outDir, playlist), formatMediaPlaylist(segments, `../keys/${job.keyId}`));
  return {
    segments: segments.length,
    durationSec: segments.reduce((sum, s) => sum + s.durationSec, 0),
    bandwidth: measureBandwidth(measured, targetDurationSec(segments)),
  };
}

/** Reads a file of a clear HLS tree; a missing one means the tree is broken, not the server. */
export async function readSample(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') throw new MediaError('bad_sample', `missing from the clear HLS tree: ${path}`);
    throw err;
  }
}
