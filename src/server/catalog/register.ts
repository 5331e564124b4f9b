/**
 * Registering a packaged title: fresh content keys, the packagers writing into a staging
 * folder, then one rename and one transaction. Threat: a half-registered title (files without
 * a record, a record without its keys, a key on disk). Any failure removes what was written;
 * keys only ever exist sealed in the database. The staging folder is claimed in the data dir's
 * owner-only staging area, so a crash at any point is undone at the next start (staging-area.ts).
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { ContentKeyRecord, DurableStores, TitleRecord } from '../../core/ports.js';
import { newContentKey } from '../keys/content-keys.js';
import type { Sealer } from '../keys/sealer.js';
import { claimStagingDir, STAGED_TITLE } from './staging-area.js';

/** Gives the key for a label ('hls', 'audio', 'sd', 'sd@3', …), made fresh on first request. */
export type KeyFor = (label: string) => { kid: string; key: Uint8Array };

/** Writes one protocol's packaged files under dir, encrypted with keys from keyFor. */
export type Packager = (dir: string, keyFor: KeyFor) => Promise<{ durationSec: number }>;

export interface RegisterInput {
  readonly id: string;
  readonly name: string;
  /** One packager per protocol, run in order; each writes <title>/<protocol>/. */
  readonly packagers: readonly { readonly protocol: 'hls' | 'dash'; readonly packager: Packager }[];
}

export async function registerTitle(
  deps: { stores: DurableStores; sealer: Sealer; dataDir: string; now: () => number },
  input: RegisterInput,
): Promise<Verdict<TitleRecord>> {
  if ((await deps.stores.titles.get(input.id)) !== undefined) return deny('conflict', `title "${input.id}" already exists`);
  const mediaRoot = join(deps.dataDir, 'media');
  const finalDir = join(mediaRoot, input.id);
  if (await exists(finalDir)) return deny('conflict', `${finalDir} already exists; remove it or choose another title id`);

  const claimed = await claimStagingDir(deps.dataDir, 'title', input.id);
  const staging = join(claimed, STAGED_TITLE);
  let moved = false;
  try {
    await mkdir(staging);
    const now = deps.now();
    const keys = new Map<string, ContentKeyRecord & { key: Uint8Array }>();
    const keyFor: KeyFor = (label) => {
      let entry = keys.get(label);
      if (entry === undefined) {
        const made = newContentKey(deps.sealer);
        entry = { kid: made.kid, titleId: input.id, label, sealed: made.sealed, createdAt: now, key: made.key };
        keys.set(label, entry);
      }
      return { kid: entry.kid, key: entry.key };
    };
    let durationSec = 0;
    for (const { protocol, packager } of input.packagers) {
      durationSec = Math.max(durationSec, (await packager(join(staging, protocol), keyFor)).durationSec);
    }
    await mkdir(mediaRoot, { recursive: true });
    await rename(staging, finalDir);
    moved = true;
    const title: TitleRecord = {
      id: input.id,
      name: input.name,
      protocols: input.packagers.map((p) => p.protocol),
      durationSec: Math.round(durationSec),
      createdAt: now,
    };
    const records = [...keys.values()].map(({ key: _key, ...record }) => record);
    if (!(await deps.stores.titles.create(title, records))) {
      await rm(finalDir, { recursive: true, force: true });
      return deny('conflict', `title "${input.id}" already exists`);
    }
    return grant(title);
  } catch (error) {
    if (moved) await rm(finalDir, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(claimed, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
