/**
 * Taking a title down, or its old version when it is replaced. Threats: a removed title whose
 * keys still open licenses, and playback sessions that keep streaming a title that is gone or
 * was swapped under them (they would fetch new segments with the old key). So the record and
 * keys go in one transaction, every live session of the title is ended (on all instances
 * within seconds with Redis, within a minute on a shared database alone), then the files go.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { DurableStores, HotState, TitleRecord } from '../../core/ports.js';
import { sessionEndedMark } from '../playback/liveness.js';

export interface TitleDeps {
  readonly stores: DurableStores;
  readonly hot: HotState;
  readonly dataDir: string;
  readonly now: () => number;
}

export async function removeTitle(deps: TitleDeps, id: string): Promise<Verdict<TitleRecord & { endedSessions: number }>> {
  const title = await deps.stores.titles.get(id);
  if (title === undefined) return deny('not_found', `title "${id}" does not exist`);
  await deps.stores.titles.remove(id);
  const endedSessions = await endTitleSessions(deps, id, 'title_removed');
  await deleteFolder(await moveAside(join(deps.dataDir, 'media'), id));
  return grant({ ...title, endedSessions });
}

/** Ends the title's live sessions and marks them ended in hot state; returns how many. */
export async function endTitleSessions(deps: TitleDeps, titleId: string, reason: string): Promise<number> {
  const now = deps.now();
  const ended = await deps.stores.playbackSessions.endForTitle(titleId, reason, now);
  for (const session of ended) await deps.hot.mark(sessionEndedMark(session.id), Math.max(1, session.expiresAt - now), now);
  return ended.length;
}

/**
 * Moves <mediaRoot>/<id> aside in one rename, so no request ever sees a half-deleted folder;
 * returns where it went (to delete once nothing needs it), or undefined when there was none.
 */
export async function moveAside(mediaRoot: string, id: string): Promise<string | undefined> {
  const aside = join(mediaRoot, `.removed-${id}-${randomBytes(6).toString('hex')}`);
  try {
    await rename(join(mediaRoot, id), aside);
    return aside;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function deleteFolder(path: string | undefined): Promise<void> {
  if (path !== undefined) await rm(path, { recursive: true, force: true });
}
