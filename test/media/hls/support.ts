// Checks shared by the HLS packaging tests: decryption, MPEG-TS structure, and a tiny HTTP
// origin so ffmpeg can play the result the way a player would (key fetched over HTTP).
import { createDecipheriv } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';
import { sequenceIv } from '../../../src/media/hls/encrypt.js';

export const TS_PACKET = 188;

/** True when every 188th byte is the MPEG-TS sync byte: what an encrypted segment must not be. */
export function looksLikeClearTs(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes.length % TS_PACKET !== 0) return false;
  for (let i = 0; i < bytes.length; i += TS_PACKET) if (bytes[i] !== 0x47) return false;
  return true;
}

export function decryptSegment(encrypted: Uint8Array, key: Uint8Array, sequence: bigint): Buffer {
  const decipher = createDecipheriv('aes-128-cbc', key, sequenceIv(sequence));
  return Buffer.concat([decipher.update(encrypted), decipher.final()]);
}

/**
 * A wrong IV garbles only the first 16 bytes, which a sync-byte check can miss (FORMATS.md §9).
 * ffmpeg starts every segment with a PSI table (SDT or PAT) in the first packet, and a PSI
 * section ends with a CRC-32/MPEG-2 over itself, so a valid CRC proves the first block decrypted.
 */
export function firstSectionCrcValid(ts: Uint8Array): boolean {
  const pusi = ((ts[1] ?? 0) & 0x40) !== 0;
  if (ts[0] !== 0x47 || !pusi) return false;
  const start = 5 + (ts[4] ?? 0); // skip the pointer field
  const sectionLength = (((ts[start + 1] ?? 0) & 0x0f) << 8) | (ts[start + 2] ?? 0);
  const end = start + 3 + sectionLength;
  if (sectionLength < 5 || end > TS_PACKET) return false;
  return crc32Mpeg2(ts.subarray(start, end)) === 0; // CRC over data+CRC leaves a zero remainder
}

function crc32Mpeg2(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

export interface Origin {
  readonly url: string;
  readonly keyRequests: () => number;
  close(): Promise<void>;
}

/** Serves `root` and the key at /keys/<keyId>, as the gateway would (minus the token). */
export async function startOrigin(root: string, keyId: string, key: Uint8Array): Promise<Origin> {
  let keyRequests = 0;
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/'));
    if (path === `/keys/${keyId}`) {
      keyRequests++;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': key.length });
      return res.end(key);
    }
    readFile(join(root, path)).then(
      (body) => res.writeHead(200).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    keyRequests: () => keyRequests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
