/**
 * The simulated service's titles: hand-made HLS episodes (three renditions of 400 seconds in
 * 4-second segments, the packager's default, of a few bytes each), registered through
 * Tollgate's own registration path. The bytes do not matter to the detectors; the requests do.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Packager, registerTitle } from '../src/server/catalog/register.js';
import type { Services } from '../src/server/compose.js';

export const SEGMENT_SEC = 4;
export const SEGMENTS = 100;
export const RENDITIONS = ['360p', '720p', '1080p'] as const;

export async function registerEpisodes(services: Services, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `episode-${String(i + 1).padStart(2, '0')}`);
  for (const id of ids) {
    const verdict = await registerTitle(
      { stores: services.stores, hot: services.hot, sealer: services.sealer, dataDir: services.config.dataDir, now: services.now },
      { id, name: `Episode ${id.slice(-2)}`, packagers: [{ protocol: 'hls', packager: episode }] },
    );
    if (!verdict.ok) throw new Error(verdict.detail);
  }
  return ids;
}

const episode: Packager = async (dir, keyFor) => {
  const { kid } = keyFor('hls');
  const master = ['#EXTM3U', ...RENDITIONS.flatMap((r, i) => [`#EXT-X-STREAM-INF:BANDWIDTH=${(i + 1) * 1_000_000}`, `${r}/index.m3u8`])];
  for (const rendition of RENDITIONS) await mkdir(join(dir, rendition), { recursive: true });
  await writeFile(join(dir, 'master.m3u8'), `${master.join('\n')}\n`);
  for (const rendition of RENDITIONS) {
    const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${SEGMENT_SEC}`, `#EXT-X-KEY:METHOD=AES-128,URI="../keys/${kid}"`];
    for (let n = 0; n < SEGMENTS; n++) {
      const name = `seg_${String(n).padStart(5, '0')}.ts`;
      lines.push(`#EXTINF:${SEGMENT_SEC}.0,`, name);
      await writeFile(join(dir, rendition, name), Buffer.alloc(188, n & 0xff));
    }
    lines.push('#EXT-X-ENDLIST');
    await writeFile(join(dir, rendition, 'index.m3u8'), `${lines.join('\n')}\n`);
  }
  return { durationSec: SEGMENTS * SEGMENT_SEC };
};
