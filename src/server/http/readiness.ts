/**
 * Readiness: can this instance serve right now? Threat: a load balancer kept sending traffic
 * to an instance whose database is frozen or whose disk is full, because /readyz hung (and the
 * probe timed out without a verdict) or said ready. Each check has a deadline, and a store
 * that does not answer in time counts as down, so /readyz answers within that deadline.
 */
import { statfs } from 'node:fs/promises';
import type { DurableStores, HotState } from '../../core/ports.js';

export interface ReadinessDeps {
  readonly stores: Pick<DurableStores, 'ping'>;
  readonly hot: Pick<HotState, 'ping'>;
  readonly dataDir: string;
  readonly timeoutMs: number;
  readonly diskMinFreeMb: number;
}

/** What is not ready, in words an operator can act on; empty when ready. */
export async function notReady(deps: ReadinessDeps): Promise<string[]> {
  const checks: [string, () => Promise<string | undefined>][] = [
    ['the database', async () => void (await deps.stores.ping())],
    ['the hot state (Redis)', async () => void (await deps.hot.ping())],
    ['the data directory', () => diskProblem(deps.dataDir, deps.diskMinFreeMb)],
  ];
  const results = await Promise.all(checks.map(([name, check]) => within(deps.timeoutMs, check()).then(
    (outcome) => (outcome === 'timeout' ? `${name} did not answer within ${deps.timeoutMs} ms` : outcome),
    () => `${name} is unreachable`,
  )));
  return results.filter((r): r is string => r !== undefined);
}

async function diskProblem(dataDir: string, minFreeMb: number): Promise<string | undefined> {
  const stats = await statfs(dataDir).catch((error: NodeJS.ErrnoException) => {
    // No data directory yet: nothing is stored there, so nothing can fail to be written.
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (stats === undefined) return undefined;
  const freeMb = (stats.bavail * stats.bsize) / (1 << 20);
  return freeMb < minFreeMb ? `the data directory's disk has ${Math.floor(freeMb)} MiB free (TOLLGATE_DISK_MIN_FREE_MB is ${minFreeMb})` : undefined;
}

/** The check's outcome, or 'timeout' if it has not settled in time (it is left to finish). */
function within<T>(ms: number, work: Promise<T>): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
