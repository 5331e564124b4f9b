/**
 * Titles for tests. `registerSyntheticTitle` writes a tiny hand-made HLS title (playlists and
 * byte segments) through the real registration path — for gateway logic, where the bytes do
 * not matter. `packageTestTitle` (HLS) and `packageTestDashTitle` package a real ffmpeg clip,
 * for end-to-end playback. `registerSyntheticTitleAs` makes one title for HLS and DASH at once.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PackageInput, packageTitle } from '../../src/cli/package.js';
import { demoClipToFile } from '../../src/media/ffmpeg-demo.js';
import { linkVariantNames, variantNameKey } from '../../src/media/watermark/variant-names.js';
import { type Packager, registerTitle } from '../../src/server/catalog/register.js';
import type { Services } from '../../src/server/compose.js';

/** `replace` re-registers an existing title as `tollgate package --replace` does (segments then hold byte 3 and 4). */
export async function registerSyntheticTitle(services: Services, titleId: string, opts: { replace?: boolean } = {}): Promise<{ kid: string }> {
  const { hls } = await registerSyntheticTitleAs(services, titleId, ['hls'], opts);
  return { kid: hls!.kid };
}

type TierKeys = Record<'audio' | 'sd' | 'hd' | 'uhd', { kid: string; key: Uint8Array }>;

/**
 * A hand-made title packaged for the given protocols at once, as `tollgate package --hls --dash`
 * makes one: an HLS key, and a DASH key per tier and audio, all of one title.
 */
export async function registerSyntheticTitleAs(
  services: Services,
  titleId: string,
  protocols: readonly ('hls' | 'dash')[],
  opts: { replace?: boolean } = {},
): Promise<{ hls?: { kid: string; key: Uint8Array }; dash?: TierKeys }> {
  const made: { hls?: { kid: string; key: Uint8Array }; dash?: TierKeys } = {};
  const packagers = { hls: syntheticHls((k) => (made.hls = k), opts.replace === true), dash: syntheticDash((k) => (made.dash = k)) };
  const verdict = await registerTitle(
    { stores: services.stores, hot: services.hot, sealer: services.sealer, dataDir: services.config.dataDir, now: services.now },
    { id: titleId, name: `Synthetic ${titleId}`, packagers: protocols.map((protocol) => ({ protocol, packager: packagers[protocol] })), ...opts },
  );
  if (!verdict.ok) throw new Error(verdict.detail);
  return made;
}

function syntheticHls(keep: (key: { kid: string; key: Uint8Array }) => void, replacement: boolean): Packager {
  return async (dir, keyFor) => {
    const { kid, key } = keyFor('hls');
    keep({ kid, key });
    await mkdir(join(dir, '360p'), { recursive: true });
    await writeFile(join(dir, 'master.m3u8'), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n360p/index.m3u8\n');
    await writeFile(
      join(dir, '360p/index.m3u8'),
      `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:METHOD=AES-128,URI="../keys/${kid}"\n#EXTINF:4.0,\nseg_00000.ts\n#EXTINF:4.0,\nseg_00001.ts\n#EXT-X-ENDLIST\n`,
    );
    await writeFile(join(dir, '360p/seg_00000.ts'), Buffer.alloc(1000, replacement ? 3 : 1));
    await writeFile(join(dir, '360p/seg_00001.ts'), Buffer.alloc(1000, replacement ? 4 : 2));
    return { durationSec: 8 };
  };
}

function syntheticDash(keep: (keys: TierKeys) => void): Packager {
  return async (dir, keyFor) => {
    const keys = {} as TierKeys;
    for (const label of ['audio', 'sd', 'hd', 'uhd'] as const) keys[label] = keyFor(label);
    keep(keys);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'manifest.mpd'),
      `<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:dashif="https://dashif.org/"><Period><AdaptationSet>` +
        `<ContentProtection schemeIdUri="urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e" value="ClearKey1.0"><dashif:laurl>LICENSE_URL</dashif:laurl></ContentProtection>` +
        `<SegmentTemplate media="v-$Number$.m4s" initialization="v-init.mp4"/></AdaptationSet></Period></MPD>\n`,
    );
    return { durationSec: 4 };
  };
}

/** A real title: a short ffmpeg clip, packaged and registered exactly as `tollgate package` does (`--watermark` with `watermark`). */
export function packageTestTitle(services: Services, opts: { titleId: string; durationSec?: number; watermark?: boolean }): Promise<void> {
  return packageTestClip(services, opts.titleId, { durationSec: opts.durationSec ?? 6, width: 640, height: 360 }, { watermark: opts.watermark });
}

/**
 * A real DASH CENC title from a 1280x720 clip, so it has an SD (360p) and an HD (720p) rung,
 * each under its own key, and audio under a third; `rotationSec` adds key-rotation Periods,
 * `watermark` the forensic A/B variants, `withHls` the HLS ladder beside it.
 */
export function packageTestDashTitle(
  services: Services,
  opts: { titleId: string; durationSec?: number; rotationSec?: number; watermark?: boolean; withHls?: boolean },
): Promise<void> {
  const protocols: ('hls' | 'dash')[] = opts.withHls === true ? ['hls', 'dash'] : ['dash'];
  return packageTestClip(services, opts.titleId, { durationSec: opts.durationSec ?? 4, width: 1280, height: 720 }, { protocols, rotationSec: opts.rotationSec, watermark: opts.watermark });
}

async function packageTestClip(
  services: Services,
  titleId: string,
  clipSize: { durationSec: number; width: number; height: number },
  options: Pick<PackageInput, 'protocols' | 'rotationSec' | 'watermark'>,
): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'tollgate-clip-'));
  try {
    const clip = join(scratch, 'clip.mp4');
    await demoClipToFile(clip, clipSize);
    const verdict = await packageTitle(services, { id: titleId, name: `Test ${titleId}`, file: clip, ...options });
    if (!verdict.ok) throw new Error(verdict.detail);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A hand-made DASH title with one key per tier and audio, for license logic tests. */
export async function registerSyntheticDashTitle(services: Services, titleId: string): Promise<TierKeys> {
  const { dash } = await registerSyntheticTitleAs(services, titleId, ['dash']);
  return dash!;
}

/**
 * A title registered as `package --watermark` would (an HLS key and a watermark key): with an
 * empty HLS folder for tracing without video, or with `segments` hand-made 2-byte segments in
 * variants a/ (0xaa, n) and b/ (0xbb, n) of one 240p rendition, linked under their edge names
 * in v/ as packaging links them, unless `edgeNames` is false (a title packaged before them).
 * `dash` adds one DASH video representation, 360p, the same way (segments numbered from 1,
 * 2 s each, in a SegmentTemplate with a timeline as Tollgate writes it).
 */
export async function registerWatermarkedStub(services: Services, titleId: string, segments = 0, opts: { edgeNames?: boolean; dash?: boolean } = {}): Promise<void> {
  const writeVariants = async (folder: string, path: string, names: readonly string[], first: number, watermarkKey: Uint8Array) => {
    for (const [v, byte] of [['a', 0xaa], ['b', 0xbb]] as const) {
      await mkdir(join(folder, v));
      for (const [i, name] of names.entries()) await writeFile(join(folder, v, name), Buffer.from([byte, first + i]));
    }
    if (opts.edgeNames !== false) await linkVariantNames(folder, path, variantNameKey(watermarkKey));
  };
  const hls: Packager = async (dir, keyFor) => {
    const { kid } = keyFor('hls');
    const watermark = keyFor('watermark');
    await mkdir(join(dir, '240p'), { recursive: true });
    if (segments === 0) {
      await writeFile(join(dir, 'master.m3u8'), '#EXTM3U\n');
      return { durationSec: 4 };
    }
    await writeFile(join(dir, 'master.m3u8'), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=426x240\n240p/index.m3u8\n');
    const names = Array.from({ length: segments }, (_, n) => `seg-${String(n).padStart(5, '0')}.ts`);
    const list = names.map((name) => `#EXTINF:4.0,\n${name}\n`).join('');
    await writeFile(join(dir, '240p/index.m3u8'), `#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:METHOD=AES-128,URI="../keys/${kid}"\n${list}#EXT-X-ENDLIST\n`);
    await writeVariants(join(dir, '240p'), 'hls/240p', names, 0, watermark.key);
    return { durationSec: segments * 4 };
  };
  const dash: Packager = async (dir, keyFor) => {
    keyFor('sd');
    const watermark = keyFor('watermark');
    await mkdir(join(dir, '360p'), { recursive: true });
    await writeFile(
      join(dir, 'manifest.mpd'),
      `<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"><Period id="0"><AdaptationSet contentType="video">\n` +
        `<Representation id="360p" bandwidth="800000">\n<SegmentTemplate timescale="1000" presentationTimeOffset="0" startNumber="1" initialization="360p/init-0.m4s" media="360p/seg-$Number%05d$.m4s">\n` +
        `<SegmentTimeline><S t="0" d="2000" r="${segments - 1}"/></SegmentTimeline>\n</SegmentTemplate>\n</Representation>\n</AdaptationSet></Period></MPD>\n`,
    );
    await writeFile(join(dir, '360p', 'init-0.m4s'), 'init');
    const names = Array.from({ length: segments }, (_, i) => `seg-${String(i + 1).padStart(5, '0')}.m4s`);
    await writeVariants(join(dir, '360p'), 'dash/360p', names, 1, watermark.key);
    return { durationSec: segments * 2 };
  };
  const verdict = await registerTitle(
    { stores: services.stores, hot: services.hot, sealer: services.sealer, dataDir: services.config.dataDir, now: services.now },
    {
      id: titleId,
      name: `Watermarked ${titleId}`,
      packagers: [{ protocol: 'hls', packager: hls }, ...(opts.dash === true ? [{ protocol: 'dash' as const, packager: dash }] : [])],
    },
  );
  if (!verdict.ok) throw new Error(verdict.detail);
}
