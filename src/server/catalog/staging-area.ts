/**
 * Where titles are packaged before they are published: <dataDir>/staging, owner-only (0700).
 * Threats: clear (unencrypted) media outliving a packager that was killed outright (kill -9,
 * OOM, power loss), where other users of the machine or a later backup could read it, and a
 * crash between publishing a title's folder and committing its record, which would leave the
 * title id unusable (its folder exists, its record does not).
 *
 * Each packaging run claims a folder here holding an `owner` file: its process id and the
 * title id. At every start (serve and every CLI command), folders whose owner process is gone
 * are removed; if such a run had already moved its title into the media folder but never
 * committed the record, that media folder is removed too, so the id can be packaged again.
 * Folders of live runs (a `tollgate package` beside a running server) are left alone.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TitleStore } from '../../core/ports.js';

const OWNER_FILE = 'owner';
/** The folder a run builds its title in; once moved into media/ it is no longer here. */
export const STAGED_TITLE = 'title';

export function stagingRoot(dataDir: string): string {
  return join(dataDir, 'staging');
}

/** A fresh owner-only folder for one run, recorded as this process's (for `titleId`, if any). */
export async function claimStagingDir(dataDir: string, name: string, titleId?: string): Promise<string> {
  const root = stagingRoot(dataDir);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(root, `${name}-`));
  await writeFile(join(dir, OWNER_FILE), `${process.pid}\n${titleId ?? ''}\n`, { mode: 0o600 });
  return dir;
}

/**
 * Removes what dead runs left behind (see the header). Returns one line per removal, for the
 * operator. Only ever deletes inside <dataDir>/staging, plus media/<id> of a run that crashed
 * after publishing and before committing, when no record of that title exists.
 */
export async function recoverStaging(dataDir: string, titles: TitleStore): Promise<string[]> {
  const root = stagingRoot(dataDir);
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const dir = join(root, entry);
    const owner = await readOwner(dir);
    if (owner !== undefined && isAlive(owner.pid)) continue;
    if (owner?.titleId && !(await exists(join(dir, STAGED_TITLE))) && (await titles.get(owner.titleId)) === undefined) {
      const published = join(dataDir, 'media', owner.titleId);
      if (await exists(published)) {
        await rm(published, { recursive: true, force: true });
        removed.push(`removed ${published}: published by a packager that died before registering title "${owner.titleId}"`);
      }
    }
    await rm(dir, { recursive: true, force: true });
    removed.push(`removed ${dir}: left by a packager that died`);
  }
  return removed;
}

async function readOwner(dir: string): Promise<{ pid: number; titleId: string } | undefined> {
  try {
    const [pid = '', titleId = ''] = (await readFile(join(dir, OWNER_FILE), 'utf8')).split('\n');
    return /^\d+$/.test(pid) ? { pid: Number(pid), titleId } : undefined;
  } catch {
    // No owner file: the run died between creating its folder and writing it.
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
