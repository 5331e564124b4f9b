/**
 * All-or-nothing output, shared by the HLS and DASH packagers. The published folder appears in
 * one rename, so the gateway never serves a half-written title; on any failure or abort the
 * staging and scratch folders are removed. Clear media lives only in a scratch folder under the
 * OS temp dir, never inside the media tree the gateway serves from.
 */
import { lstat, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { MediaError } from './ffmpeg.js';

/** Builds into a fresh folder beside `outDir` (same filesystem, so the rename is atomic), then publishes it. */
export async function publishDir<T>(
  outDir: string,
  build: (stagedDir: string) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const target = resolve(outDir);
  if (await exists(target)) throw new MediaError('output_exists', `output folder already exists: ${target}`);
  await mkdir(dirname(target), { recursive: true });
  const staging = await mkdtemp(join(dirname(target), `.${basename(target)}.staging-`));
  try {
    const staged = join(staging, 'out');
    await mkdir(staged);
    const result = await build(staged);
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

/** Runs `use` with a private scratch folder that is removed afterwards, whatever happens. */
export async function withScratchDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-clear-'));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
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
