/** Watermark tests' helpers that go through the app. */
import { writeFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
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
