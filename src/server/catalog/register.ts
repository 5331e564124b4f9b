/**
 * Registering a packaged title: fresh content keys, the packagers writing into a staging
 * folder, then one rename and one transaction. Threat: a half-registered title (files without
 * a record, a record without its keys, a key on disk). Any failure removes what was written;
 * keys only ever exist sealed in the database.
 *
 * Replacing a title packages the new version beside the old one, which serves on until the
 * new record and keys are registered (one transaction that also drops the old keys); then the
 * folders are swapped by rename and the old version's sessions are ended (see remove.ts).
 *
 * The staging folder is claimed in the data dir's owner-only staging area, so a crash at any
 * point is undone at the next start (staging-area.ts).
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NO_ACCESS_RULES } from '../../core/access-rules.js';
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { ContentKeyRecord, TitleRecord } from '../../core/ports.js';
import { newContentKey } from '../keys/content-keys.js';
import type { Sealer } from '../keys/sealer.js';
import { deleteFolder, endTitleSessions, moveAside, type TitleDeps } from './remove.js';
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
  /** Replace the title of this id, which must exist (else the id must be free). */
  readonly replace?: boolean;
}

export async function registerTitle(deps: TitleDeps & { sealer: Sealer }, input: RegisterInput): Promise<Verdict<TitleRecord>> {
  const existing = await deps.stores.titles.get(input.id);
  if (input.replace === true && existing === undefined) return deny('not_found', `title "${input.id}" does not exist, so there is nothing to replace`);
  if (input.replace !== true && existing !== undefined) return deny('conflict', `title "${input.id}" already exists (--replace replaces it)`);
  const mediaRoot = join(deps.dataDir, 'media');
  const finalDir = join(mediaRoot, input.id);
  if (input.replace !== true && (await exists(finalDir))) return deny('conflict', `${finalDir} already exists; remove it or choose another title id`);

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
    const title: TitleRecord = {
      id: input.id,
      name: input.name,
      protocols: input.packagers.map((p) => p.protocol),
      durationSec: Math.round(durationSec),
      // A replaced title keeps its rules (the store leaves them); a new one starts without any.
      access: existing?.access ?? NO_ACCESS_RULES,
      createdAt: now,
    };
    const records = [...keys.values()].map(({ key: _key, ...record }) => record);
    if (input.replace === true) {
      if (!(await deps.stores.titles.replace(title, records))) return deny('not_found', `title "${input.id}" was removed while packaging`);
      // Two renames back to back: requests in between get a 404, never a mix of versions.
      const old = await moveAside(mediaRoot, input.id);
      await rename(staging, finalDir);
      moved = true;
      await endTitleSessions(deps, input.id, 'title_replaced');
      await deleteFolder(old);
      return grant(title);
    }
    await rename(staging, finalDir);
    moved = true;
    if (!(await deps.stores.titles.create(title, records))) {
      await rm(finalDir, { recursive: true, force: true });
      return deny('conflict', `title "${input.id}" already exists`);
    }
    return grant(title);
  } catch (error) {
    if (moved && input.replace !== true) await rm(finalDir, { recursive: true, force: true });
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
