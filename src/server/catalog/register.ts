/**
 * Registering a packaged title: a fresh content key, the packager writing into a staging
 * folder, then one rename and one transaction. Threat: a half-registered title (files without
 * a record, a record without its key, a key on disk). Any failure removes what was written;
 * the key itself only ever exists sealed in the database.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { DurableStores, TitleRecord } from '../../core/ports.js';
import { newContentKey } from '../keys/content-keys.js';
import type { Sealer } from '../keys/sealer.js';

/** Writes a title's packaged files under dir, encrypted with the given key. */
export type Packager = (dir: string, key: { kid: string; key: Uint8Array }) => Promise<{ durationSec: number }>;

export interface RegisterInput {
  readonly id: string;
  readonly name: string;
  readonly protocol: 'hls';
  readonly packager: Packager;
}

export async function registerTitle(
  deps: { stores: DurableStores; sealer: Sealer; dataDir: string; now: () => number },
  input: RegisterInput,
): Promise<Verdict<TitleRecord>> {
  if ((await deps.stores.titles.get(input.id)) !== undefined) return deny('conflict', `title "${input.id}" already exists`);
  const mediaRoot = join(deps.dataDir, 'media');
  const finalDir = join(mediaRoot, input.id);
  if (await exists(finalDir)) return deny('conflict', `${finalDir} already exists; remove it or choose another title id`);

  const staging = join(mediaRoot, `.staging-${input.id}-${randomBytes(6).toString('hex')}`);
  await mkdir(staging, { recursive: true });
  let moved = false;
  try {
    const contentKey = newContentKey(deps.sealer);
    const { durationSec } = await input.packager(join(staging, input.protocol), contentKey);
    await rename(staging, finalDir);
    moved = true;
    const now = deps.now();
    const title: TitleRecord = { id: input.id, name: input.name, protocols: [input.protocol], durationSec: Math.round(durationSec), createdAt: now };
    const created = await deps.stores.titles.create(title, [
      { kid: contentKey.kid, titleId: input.id, label: input.protocol, sealed: contentKey.sealed, createdAt: now },
    ]);
    if (!created) {
      await rm(finalDir, { recursive: true, force: true });
      return deny('conflict', `title "${input.id}" already exists`);
    }
    return grant(title);
  } catch (error) {
    await rm(moved ? finalDir : staging, { recursive: true, force: true });
    throw error;
  } finally {
    if (!moved) await rm(staging, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
