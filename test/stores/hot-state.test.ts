/**
 * HotState contract on memory and on Redis, plus each one's own duties: memory sweeps expired
 * entries; Redis keys carry the prefix and a hash tag. Redis runs under a unique test prefix,
 * deleted afterwards. Redis is always part of the test environment: unreachable fails the run.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryHotState } from '../../src/server/stores/memory/hot-state.js';
import { openHotState } from '../../src/server/stores/open.js';
import { RedisHotState } from '../../src/server/stores/redis/hot-state.js';
import { hotStateContract } from './hot-state.contract.js';
import { streamLeasesContract } from './stream-leases.contract.js';
import { TEST_REDIS_URL } from '../support/app.js';

const prefix = `tollgate:test-${randomUUID()}:`;

describe('memory', () => {
  hotStateContract(async () => new MemoryHotState({ epochStartedAt: Date.now() }));
  streamLeasesContract(async () => new MemoryHotState());

  it('measures windows and TTLs on the clock it is given', async () => {
    const hot = new MemoryHotState();
    expect(await hot.hit('k', 1_000, 0)).toEqual({ count: 1, resetInMs: 1_000 });
    expect(await hot.hit('k', 1_000, 999)).toEqual({ count: 2, resetInMs: 1 });
    expect(await hot.hit('k', 1_000, 1_000)).toEqual({ count: 1, resetInMs: 1_000 });
    await hot.mark('m', 10, 0);
    expect(await hot.isMarked('m', 9)).toBe(true);
    expect(await hot.isMarked('m', 10)).toBe(false);
  });

  it('sweeps expired entries, so memory stays bounded', async () => {
    const hot = new MemoryHotState({ sweepEveryMs: 1_000 });
    for (let i = 0; i < 500; i++) {
      await hot.hit(`h${i}`, 100, 0);
      await hot.mark(`m${i}`, 100, 0);
      await hot.consumeOnce(`o${i}`, 100, 0, 0);
    }
    await hot.mark('long', 60_000, 0);
    expect(hot.size).toBe(1_501);
    await hot.hit('trigger', 100, 1_000);
    expect(hot.size).toBe(2);
    expect(await hot.isMarked('long', 1_000)).toBe(true);
  });
});

describe('Redis', () => {
  const admin = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const prefixed = async () => {
    const keys: string[] = [];
    for (let cursor = '0'; ; ) {
      const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
      keys.push(...batch);
      if ((cursor = next) === '0') return keys;
    }
  };
  beforeAll(async () => {
    await admin.connect().catch((error: Error) => {
      throw new Error(`Redis unreachable at ${TEST_REDIS_URL} (set TOLLGATE_TEST_REDIS_URL): ${error.message}`);
    });
  });
  afterAll(async () => {
    const keys = await prefixed();
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  hotStateContract(() => openHotState({ redisUrl: TEST_REDIS_URL, prefix }));
  streamLeasesContract(() => openHotState({ redisUrl: TEST_REDIS_URL, prefix }));

  it('writes keys as <prefix>{<key>}:<kind>, for Redis Cluster slots', async () => {
    const hot = await openHotState({ redisUrl: TEST_REDIS_URL, prefix });
    expect(hot).toBeInstanceOf(RedisHotState);
    await hot.hit('acct-1', 60_000, Date.now());
    await hot.mark('acct-1', 60_000, Date.now());
    await hot.consumeOnce('acct-1', 60_000, Date.now(), Date.now() + 10_000);
    const lease = { account: 'acct-1', streamId: 's', deviceKey: 'd', limit: 1, mode: 'refuse', countBy: 'session', leaseMs: 60_000 } as const;
    await hot.leases.admit(lease, Date.now());
    await hot.close();
    const keys = await prefixed();
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k).toMatch(/^tollgate:test-[0-9a-f-]+:\{[^}]+\}:(hit|mark|once|epoch|leases|lease-info)$/);
    expect(keys.filter((k) => k.includes('{acct-1}')).sort()).toEqual(
      [`${prefix}{acct-1}:hit`, `${prefix}{acct-1}:lease-info`, `${prefix}{acct-1}:leases`, `${prefix}{acct-1}:mark`, `${prefix}{acct-1}:once`],
    );
    // Every key the store writes expires (-1: no expiry; -2: expired since the scan), but the
    // one epoch key, which must outlive them all.
    for (const k of keys.filter((k) => k !== `${prefix}{hot-epoch}:epoch`)) expect(await admin.pttl(k)).not.toBe(-1);
    expect(await admin.pttl(`${prefix}{hot-epoch}:epoch`)).toBe(-1);
  });

  it('fails to open when Redis is unreachable, and opens memory without a URL', async () => {
    await expect(openHotState({ redisUrl: 'redis://127.0.0.1:1' })).rejects.toThrow(/ECONNREFUSED/);
    expect(await openHotState({})).toBeInstanceOf(MemoryHotState);
  });
});
