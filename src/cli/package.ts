/**
 * `tollgate package` and the demo title: packaging through src/media, registration through
 * the catalog (a fresh content key, all-or-nothing). A progress bar on a terminal, progress
 * lines otherwise (a log or CI shows how far a long packaging run got).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HLS_KEY_LABEL, WATERMARK_KEY_LABEL } from '../core/drm/policy.js';
import type { Verdict } from '../core/errors.js';
import type { TitleRecord } from '../core/ports.js';
import { demoClipToFile } from '../media/ffmpeg-demo.js';
import { locateMediaTools, MediaError } from '../media/ffmpeg.js';
import { packageDash } from '../media/dash/index.js';
import { demoSampleDir, packageHls, packageHlsFromClearSample } from '../media/hls/index.js';
import { type RegisterInput, registerTitle } from '../server/catalog/register.js';
import { claimStagingDir } from '../server/catalog/staging-area.js';
import type { Services } from '../server/compose.js';

export interface PackageInput {
  readonly id: string;
  readonly name: string;
  readonly file: string;
  /** Protocols to package; HLS AES-128 alone by default. */
  readonly protocols?: readonly ('hls' | 'dash')[];
  /** DASH key rotation: a new key per tier every this many seconds. */
  readonly rotationSec?: number;
  /** Segment length in seconds, 2–4 (default 4). */
  readonly segmentSec?: number;
  /** Forensic A/B watermarking: each video rendition, HLS and DASH, in variants A and B. */
  readonly watermark?: boolean;
  /** Replace the existing title of this id (its sessions end; its old files and keys go). */
  readonly replace?: boolean;
}

/** Progress as a fraction in [0, 1], with the step just done when there is one. */
export type Progress = (fraction: number, step?: string) => void;

export async function packageTitle(services: Services, input: PackageInput, onProgress?: Progress): Promise<Verdict<TitleRecord>> {
  const protocols = input.protocols ?? ['hls'];
  // Each protocol gets an equal share of the progress.
  const share = (i: number, protocol: string): Progress | undefined =>
    onProgress && ((f, step) => onProgress((i + f) / protocols.length, step && `${protocol} ${step}`));
  const packagers = protocols.map((protocol, i): RegisterInput['packagers'][number] => {
    const progress = share(i, protocol);
    return protocol === 'hls'
      ? {
          protocol,
          packager: (dir, keyFor) => {
            const { kid, key } = keyFor(HLS_KEY_LABEL);
            const watermarkKey = input.watermark === true ? keyFor(WATERMARK_KEY_LABEL).key : undefined;
            return packageHls({ input: input.file, outDir: dir, keyId: kid, key, watermarkKey, segmentSec: input.segmentSec, ...(progress ? { onProgress: progress } : {}) });
          },
        }
      : {
          protocol,
          packager: (dir, keyFor) =>
            packageDash({
              input: input.file,
              outDir: dir,
              keys: keyFor,
              ...(input.watermark === true ? { watermarkKey: keyFor(WATERMARK_KEY_LABEL).key } : {}),
              ...(input.rotationSec !== undefined ? { rotationSec: input.rotationSec } : {}),
              ...(progress ? { onProgress: progress } : {}),
            }),
        };
  });
  return registerTitle(deps(services), { id: input.id, name: input.name, packagers, ...(input.replace === true ? { replace: true } : {}) });
}

/**
 * The demo titles: a clip ffmpeg synthesises, packaged like any upload — `id` as HLS AES-128
 * and `<id>-drm` as DASH CENC with a key per tier and a new key every 10 s. Where ffmpeg is
 * missing, only `id`, from the small clear sample shipped in assets/, encrypted with a fresh key.
 */
export async function packageDemoTitles(services: Services, id: string, onProgress?: Progress): Promise<Verdict<TitleRecord>> {
  const ffmpeg = await locateMediaTools().catch((error: unknown) => {
    if (error instanceof MediaError && error.reason === 'tool_missing') return undefined;
    throw error;
  });
  if (ffmpeg === undefined) {
    return registerTitle(deps(services), {
      id,
      name: 'Tollgate demo (sample)',
      packagers: [
        {
          protocol: 'hls',
          packager: (dir, keyFor) => {
            const { kid, key } = keyFor(HLS_KEY_LABEL);
            return packageHlsFromClearSample({ sampleDir: demoSampleDir(), outDir: dir, keyId: kid, key });
          },
        },
      ],
    });
  }
  const scratch = await claimStagingDir(services.config.dataDir, 'demo-clip');
  try {
    const clip = join(scratch, 'demo.mp4');
    await demoClipToFile(clip, { tools: ffmpeg, ...(onProgress ? { onProgress: (f: number) => onProgress(f * 0.2) } : {}) });
    onProgress?.(0.2, 'made the demo clip');
    const hls = await packageTitle(services, { id, name: 'Tollgate demo (HLS AES-128)', file: clip }, onProgress && ((f, step) => onProgress(0.2 + f * 0.4, step)));
    if (!hls.ok) return hls;
    const drm = { id: `${id}-drm`, name: 'Tollgate demo (DASH ClearKey, SD only)', file: clip, protocols: ['dash'] as const, rotationSec: 10 };
    const dash = await packageTitle(services, drm, onProgress && ((f, step) => onProgress(0.6 + f * 0.4, step)));
    return dash.ok ? hls : dash;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * A one-line progress bar on a terminal. Elsewhere (a pipe, a log file, CI) a line per step
 * and per tenth done, since a bar redrawn with \r is unreadable there.
 */
export function progressBar(label: string, stream: Pick<NodeJS.WriteStream, 'isTTY' | 'write'> = process.stderr): Progress {
  let last = -1;
  if (stream.isTTY !== true) {
    return (fraction, step) => {
      const percent = Math.floor(Math.min(1, Math.max(0, fraction)) * 100);
      if (step === undefined && Math.floor(percent / 10) <= Math.floor(last / 10)) return;
      last = Math.max(last, percent);
      stream.write(`${label}: ${percent}%${step === undefined ? '' : ` ${step}`}\n`);
    };
  }
  return (fraction) => {
    const percent = Math.floor(Math.min(1, Math.max(0, fraction)) * 100);
    if (percent === last) return;
    last = percent;
    const filled = Math.round(percent / 5);
    stream.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(20 - filled)}] ${percent}%${percent === 100 ? '\n' : ''}`);
  };
}

function deps(services: Services) {
  return { stores: services.stores, hot: services.hot, sealer: services.sealer, dataDir: services.config.dataDir, now: services.now };
}
