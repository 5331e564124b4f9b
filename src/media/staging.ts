/**
 * All-or-nothing output, shared by the HLS and DASH packagers. The published folder appears in
 * one rename, so the gateway never serves a half-written title; on any failure or abort the
 * staging folder is removed. Clear media lives only in the scratch folder inside it (owner-only,
 * 0700, like the staging folder), never in the OS temp dir nor in a folder the gateway serves;
 * the catalog stages titles inside the data dir, so what a killed packager leaves behind is
 * found and removed at the next start (src/server/catalog/staging-area.ts).
 */
import { lstat, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { MediaError } from './ffmpeg.js';

/**
 * Builds into a fresh folder beside `outDir` (same filesystem, so the rename is atomic), then
 * publishes it. `build` also gets a private scratch folder for clear intermediate files.
 */
export async function publishDir<T>(
  outDir: string,
  build: (stagedDir: string, scratchDir: string) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const target = resolve(outDir);
  if (await exists(target)) throw new MediaError('output_exists', `output folder already exists: ${target}`);
  await mkdir(dirname(target), { recursive: true });
  // mkdtemp makes it 0700: only this user can read the clear media inside.
  const staging = await mkdtemp(join(dirname(target), `.${basename(target)}.staging-`));
  try {
    const staged = join(staging, 'out');
    const scratch = join(staging, 'clear');
    await mkdir(staged);
    await mkdir(scratch, { mode: 0o700 });
    const result = await build(staged, scratch);
    signal?.throwIfAborted();
    await rename(staged, target).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOTEMPTY' || err.code === 'EEXIST' || err.code === 'ENOTDIR') {
        throw new MediaError('output_exists', `output folder appeared while packaging: ${target}`);
      }
      throw err;
    });
    return result;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
