/**
 * Fault: the data directory's disk fills up (embedded SQLite, media, secrets live there).
 * Before the fix, /readyz said ready and writes answered 500. Now /readyz says not ready
 * below TOLLGATE_DISK_MIN_FREE_MB, a write that fails for want of space answers 503
 * `unavailable`, and both recover by themselves once space is freed.
 *
 * The disk is a 8 MiB tmpfs of the test's own (mounting needs root, as the private database
 * clusters of the other fault tests do).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemFromError } from '../../src/server/http/problem.js';
import { seedSubscriber } from '../support/app.js';
import { expectOnly, expectUnavailable, type FaultCluster, type Instance, recoveryTime, startFaultCluster, tally } from '../support/fault-cluster.js';

const run = promisify(execFile);
const RECOVERY_LIMIT_MS = 5_000;

/** Writes zeros into `file` until the disk refuses; returns the bytes written. */
async function fillDisk(file: string): Promise<number> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) written += (await handle.write(chunk)).bytesWritten;
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    await handle.close();
  }
  return written;
}

describe('fault: the data directory’s disk is full', () => {
  let mount: string;
  let cluster: FaultCluster;
  let viewer: { email: string; password: string };

  beforeAll(async () => {
    mount = await mkdtemp(join(tmpdir(), 'tollgate-disk-'));
    await run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
    cluster = await startFaultCluster({ TOLLGATE_DISK_MIN_FREE_MB: '1' }, mount);
    viewer = await seedSubscriber(cluster.a.app, { titles: ['t1'] });
  });
  afterAll(async () => {
    await cluster?.close();
    await run('umount', [mount]).catch(() => {});
    await rmdir(mount).catch(() => {});
  });

  const loginRefresh = async (first: Instance, second: Instance): Promise<LightMyRequestResponse[]> => {
    const login = await first.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: viewer.email, password: viewer.password } });
    if (login.statusCode !== 200) return [login];
    return [login, await second.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: login.json().refresh_token } })];
  };

  it('says not ready while full, answers writes 503 (never 500), and recovers once space is freed', async () => {
    for (const { app } of [cluster.a, cluster.b]) expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const filler = join(mount, 'filler');
    await fillDisk(filler);

    for (const { app } of [cluster.a, cluster.b]) {
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expectUnavailable(ready);
      expect(ready.json().detail).toContain('disk');
    }
    // Writes until the database's own free pages run out too.
    const responses: LightMyRequestResponse[] = [];
    for (let i = 0; i < 40 && !responses.some((r) => r.statusCode === 503); i++) {
      responses.push(...(await loginRefresh(i % 2 ? cluster.a : cluster.b, i % 2 ? cluster.b : cluster.a)));
    }
    expectOnly(responses, [200, 503]);
    expect(tally(responses)[503]).toBeGreaterThan(0);

    await rm(filler);
    const recovered = await recoveryTime(RECOVERY_LIMIT_MS, async () => {
      const answers = [...(await loginRefresh(cluster.a, cluster.b)), ...(await loginRefresh(cluster.b, cluster.a))];
      const ready = await Promise.all([cluster.a, cluster.b].map(({ app }) => app.inject({ method: 'GET', url: '/readyz' })));
      return answers.length === 4 && [...answers, ...ready].every((r) => r.statusCode === 200);
    });
    expect(cluster.crashes).toEqual([]);
    console.info(`disk full: ${JSON.stringify(tally(responses))} until the first 503; service back ${Math.round(recovered)} ms after space was freed`);
  });

  it('maps a failed disk write (ENOSPC, EDQUOT) to 503 unavailable wherever it is thrown', () => {
    for (const code of ['ENOSPC', 'EDQUOT']) {
      const { problem, retryAfter, unexpected } = problemFromError(Object.assign(new Error('no space left on device'), { code }));
      expect(problem.code).toBe('unavailable');
      expect(problem.status).toBe(503);
      expect(retryAfter).toBeGreaterThan(0);
      expect(unexpected).toBe(false);
    }
  });
});
