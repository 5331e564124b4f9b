/**
 * Encrypts a whole clear HLS tree (master.m3u8 + <rendition>/<playlist> + segments), the one
 * path shared by ffmpeg packaging and the ffmpeg-free demo sample. RESOLUTION and CODECS are
 * taken from the clear multivariant playlist (ffmpeg derives CODECS from the encoded SPS);
 * BANDWIDTH is re-measured on the encrypted bytes.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaError } from '../ffmpeg.js';
import { encryptHlsRendition, readSample } from './encrypt.js';
import { formatMultivariantPlaylist, parseMultivariantPlaylist, type VariantEntry } from './playlist.js';

export interface Rendition {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** Peak bit rate as advertised in BANDWIDTH. */
  readonly bandwidth: number;
}

export interface PackagedHls {
  readonly renditions: Rendition[];
  readonly durationSec: number;
}

export interface TreeJob {
  readonly clearDir: string;
  readonly outDir: string;
  readonly keyId: string;
  readonly key: Uint8Array;
  /** Sub-folder of each rendition for its segments (a watermark variant); see RenditionJob. */
  readonly segmentDir?: string;
  /** Called after each rendition with the fraction of renditions done and what was done. */
  readonly onRendition?: (fraction: number, step: string) => void;
  readonly signal?: AbortSignal;
}

export async function encryptHlsTree(job: TreeJob): Promise<PackagedHls> {
  const masterPath = join(job.clearDir, 'master.m3u8');
  const variants = parseMultivariantPlaylist((await readSample(masterPath)).toString('utf8'), masterPath);
  const renditions: Rendition[] = [];
  const entries: VariantEntry[] = [];
  let durationSec = 0;
  for (const variant of variants) {
    // parseMultivariantPlaylist guarantees "<safe name>/<safe name>".
    const [name = '', playlist = ''] = variant.uri.split('/');
    const resolution = /^(\d+)x(\d+)$/.exec(variant.attributes.get('RESOLUTION') ?? '');
    const codecs = variant.attributes.get('CODECS');
    if (!resolution || !codecs) {
      throw new MediaError('bad_sample', `${masterPath}: ${variant.uri} lacks RESOLUTION or CODECS`);
    }
    const done = await encryptHlsRendition({
      clearDir: join(job.clearDir, name),
      outDir: join(job.outDir, name),
      playlist,
      keyId: job.keyId,
      key: job.key,
      segmentDir: job.segmentDir,
      signal: job.signal,
    });
    const [, width, height] = resolution.map(Number);
    renditions.push({ name, width: width ?? 0, height: height ?? 0, bandwidth: done.bandwidth.peak });
    entries.push({
      uri: variant.uri,
      bandwidth: done.bandwidth.peak,
      averageBandwidth: done.bandwidth.average,
      resolution: resolution[0],
      codecs,
    });
    durationSec = Math.max(durationSec, done.durationSec);
    job.onRendition?.(renditions.length / variants.length, `encrypted ${name}`);
  }
  await writeFile(join(job.outDir, 'master.m3u8'), formatMultivariantPlaylist(entries));
  return { renditions, durationSec };
}
