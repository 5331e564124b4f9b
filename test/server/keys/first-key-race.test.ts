/**
 * Two instances over a fresh database both need the first signing key at once (their first
 * logins, starts and licenses). The store allows one current key per use, so one of them
 * loses the race; it must use the winner's key, not answer 500.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase, seedSubscriber, TEST_REDIS_URL } from '../../support/app.js';
import { type FaultCluster, startFaultCluster } from '../../support/fault-cluster.js';

describe('the first signing key, made by two instances at once', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let cluster: FaultCluster;

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    cluster = await startFaultCluster({ TOLLGATE_DATABASE_URL: database.url, TOLLGATE_REDIS_URL: TEST_REDIS_URL, TOLLGATE_MASTER_KEY: randomBytes(32).toString('hex') });
  });
  afterAll(async () => {
    await cluster?.close();
    await database?.drop();
  });

  it('is made once, and every concurrent first login on either instance succeeds', async () => {
    const viewer = await seedSubscriber(cluster.a.app, { titles: ['t1'] });
    const logins = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? cluster.a : cluster.b).app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: viewer.email, password: viewer.password } }),
      ),
    );
    expect(logins.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    const current = (await cluster.a.services.stores.signingKeys.list('access')).filter((k) => k.retiredAt === null);
    expect(current).toHaveLength(1);
  });
});
