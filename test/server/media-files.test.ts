import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FOLDER_RECHECK_MS, MediaFiles } from '../../src/server/gateway/files.js';

describe('the gateway media cache', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tollgate-files-'));
    await mkdir(join(root, 't', 'hls'), { recursive: true });
    for (let i = 0; i < 5; i++) await writeFile(join(root, 't', 'hls', `s${i}.ts`), Buffer.alloc(1000, i));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('serves the right bytes, keeps at most its budget, and evicts the least recently used', async () => {
    const files = new MediaFiles(root, 2500);
    for (let i = 0; i < 5; i++) expect((await files.get('t', `hls/s${i}.ts`)).bytes).toEqual(Buffer.alloc(1000, i));
    // s3 and s4 are cached; deleting the file on disk shows whether a read is served from memory.
    await rm(join(root, 't', 'hls', 's4.ts'));
    expect((await files.get('t', 'hls/s4.ts')).bytes).toEqual(Buffer.alloc(1000, 4));
    await rm(join(root, 't', 'hls', 's0.ts'));
    await expect(files.get('t', 'hls/s0.ts')).rejects.toThrow(/no such file/);
  });

  it('streams from disk when caching is off', async () => {
    const files = new MediaFiles(root, 0);
    const media = await files.get('t', 'hls/s1.ts');
    expect(media.bytes).toBeUndefined();
    expect(media.size).toBe(1000);
  });

  it('drops a title\'s cached files once its folder was swapped for a new version or removed', async () => {
    await mkdir(join(root, 'v', 'hls'), { recursive: true });
    await writeFile(join(root, 'v', 'hls', 'seg.ts'), 'old');
    const clock = { now: 1_000_000 };
    const files = new MediaFiles(root, 1 << 20, () => clock.now);
    expect((await files.get('v', 'hls/seg.ts')).bytes?.toString()).toBe('old');
    expect(files.cached('v', 'hls/seg.ts')?.bytes?.toString()).toBe('old');

    await mkdir(join(root, 'v-new', 'hls'), { recursive: true });
    await writeFile(join(root, 'v-new', 'hls', 'seg.ts'), 'new');
    await rename(join(root, 'v'), join(root, 'v-old'));
    await rename(join(root, 'v-new'), join(root, 'v'));
    clock.now += FOLDER_RECHECK_MS;
    expect(files.cached('v', 'hls/seg.ts')).toBeUndefined();
    expect((await files.get('v', 'hls/seg.ts')).bytes?.toString()).toBe('new');

    await rm(join(root, 'v'), { recursive: true });
    clock.now += FOLDER_RECHECK_MS;
    await expect(files.get('v', 'hls/seg.ts')).rejects.toThrow(/no such file/);
  });

  it('knows whether a title has a folder (a watermarked rendition\'s v/), until the title is replaced', async () => {
    await mkdir(join(root, 'w', 'hls', '240p'), { recursive: true });
    await writeFile(join(root, 'w', 'hls', '240p', 'v'), 'a file, not a folder');
    const clock = { now: 1_000_000 };
    const files = new MediaFiles(root, 1 << 20, () => clock.now);
    expect(await files.hasFolder('w', 'hls/240p/v')).toBe(false);
    expect(await files.hasFolder('w', 'hls/240p')).toBe(true);

    await mkdir(join(root, 'w-new', 'hls', '240p', 'v'), { recursive: true });
    await rename(join(root, 'w'), join(root, 'w-old'));
    await rename(join(root, 'w-new'), join(root, 'w'));
    expect(await files.hasFolder('w', 'hls/240p/v')).toBe(false); // the folder is looked at again only after FOLDER_RECHECK_MS
    clock.now += FOLDER_RECHECK_MS;
    expect(await files.hasFolder('w', 'hls/240p/v')).toBe(true);
  });
});
