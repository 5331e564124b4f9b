/**
 * Encrypts one representation into its published folder with Tollgate's CENC encryptor:
 *
 *   <rep>/init-<period>.m4s   the init segment under that Period's key (tenc default_KID), with
 *                             pssh boxes listing every KID of the Period
 *   <rep>/seg-NNNNN.m4s       each media segment, 'cenc' AES-CTR under its Period's key
 *   <rep>/{a,b}/seg-NNNNN.m4s instead, for the two variants of a watermarked video track
 *
 * Threat: clear media in the published tree. Only encrypted bytes are written here, each file
 * exclusively ('wx'), from clear files that stay in the scratch folder.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clearKeyPssh, commonPssh, encryptInit, encryptSegment } from '../cenc/index.js';
import type { ResolvedKey } from './keys.js';
import { type ClearSegment, type ClearTrack, segmentFileName } from './track.js';

export interface PublishedSegment extends ClearSegment {
  readonly period: number;
  /** Size of the encrypted file. */
  readonly bytes: number;
}

export interface ProtectJob {
  readonly track: ClearTrack;
  /** The representation's published folder; must exist. */
  readonly dir: string;
  /** This representation's key in each Period. */
  readonly keys: readonly ResolvedKey[];
  /** Every KID of each Period, for its pssh boxes. */
  readonly periodKids: readonly (readonly Uint8Array[])[];
  /** The Period of each of track.segments. */
  readonly periods: readonly number[];
  /**
   * A watermark variant ('a' or 'b'): the media segments go to <rep>/<variant>/ (which must
   * exist); the init segments, the same for both variants, are written by variant 'a' only.
   */
  readonly variant?: 'a' | 'b';
  readonly signal?: AbortSignal;
}

export async function protectRepresentation(job: ProtectJob): Promise<PublishedSegment[]> {
  const { track, keys, variant } = job;
  for (const [period, key] of variant === 'b' ? [] : keys.entries()) {
    const kids = job.periodKids[period]!;
    const init = encryptInit(track.init, { kid: key.kidBytes, perSampleIvSize: 8, psshBoxes: [commonPssh(kids), clearKeyPssh(kids)] });
    await writeFile(join(job.dir, `init-${period}.m4s`), init, { flag: 'wx' });
  }
  const published: PublishedSegment[] = [];
  for (const [i, segment] of track.segments.entries()) {
    job.signal?.throwIfAborted();
    const period = job.periods[i]!;
    const key = keys[period]!;
    const encrypted = encryptSegment(await readFile(segment.path), {
      key: key.key,
      trackKind: track.info.kind,
      nalLengthSize: track.info.nalLengthSize,
      ivSource: key.ivSource,
    });
    await writeFile(join(job.dir, variant ?? '', segmentFileName(segment.number)), encrypted, { flag: 'wx' });
    published.push({ ...segment, period, bytes: encrypted.length });
  }
  return published;
}
