/** Watermark tests' helpers that go through the app. */
import { writeFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { decryptInit, decryptSegment as decryptCenc, readInit } from '../../src/media/cenc/index.js';
import { SEGMENT_SEC as DASH_SEGMENT_SEC } from '../../src/media/dash/ladder.js';
import { decryptSegment } from '../media/hls/support.js';

/**
 * What the gateway served: `rendition`'s segments, segment n fetched with the manifest URL path
 * `manifestOf(n)` (a session's), decrypted with the title's HLS key and concatenated into `file`.
 */
export async function servedRecording(app: FastifyInstance, rendition: string, key: Uint8Array, file: string, manifestOf: (n: number) => string): Promise<void> {
  const playlist = (await app.inject({ method: 'GET', url: manifestOf(0).replace('master.m3u8', `${rendition}/index.m3u8`) })).body;
  const names = playlist.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  const parts = [];
  for (const [n, name] of names.entries()) {
    const res = await app.inject({ method: 'GET', url: manifestOf(n).replace('master.m3u8', `${rendition}/${name}`) });
    expect(res.statusCode).toBe(200);
    parts.push(decryptSegment(res.rawPayload, key, BigInt(n)));
  }
  await writeFile(file, Buffer.concat(parts));
}

/**
 * What the gateway served a DASH session, as a pirate holding its keys would keep it: the
 * `representation`'s segments fetched under the session's MPD URL path `manifest`, each
 * decrypted under the key of its Period (`periodKeys[p]`; a new Period every `rotationSec`, or
 * one), concatenated behind the decrypted init segment into `file`. Returns the segment count.
 */
export async function servedDashRecording(
  app: FastifyInstance,
  manifest: string,
  representation: string,
  periodKeys: readonly Uint8Array[],
  file: string,
  rotationSec?: number,
): Promise<number> {
  const get = (name: string) => app.inject({ method: 'GET', url: manifest.replace('manifest.mpd', `${representation}/${name}`) });
  const inits: Buffer[] = [];
  for (const p of periodKeys.keys()) {
    const res = await get(`init-${p}.m4s`);
    expect(res.statusCode).toBe(200);
    inits.push(res.rawPayload);
  }
  const parts = [decryptInit(inits[0]!)];
  for (let n = 1; ; n++) {
    const res = await get(`seg-${String(n).padStart(5, '0')}.m4s`);
    if (res.statusCode === 404) break;
    expect(res.statusCode).toBe(200);
    const period = rotationSec === undefined ? 0 : Math.floor(((n - 1) * DASH_SEGMENT_SEC) / rotationSec);
    parts.push(decryptCenc(res.rawPayload, { ...readInit(inits[period]!).protection!, keyFor: () => periodKeys[period] }));
  }
  await writeFile(file, Buffer.concat(parts));
  return parts.length - 1;
}
