/**
 * HotState and StreamLeases on a Redis Cluster of three masters the test starts itself: the
 * same contract suites as on one server, plus what a cluster adds. Every script's keys must
 * share one hash slot (else CROSSSLOT), and the epoch that guards a key lives in that key's
 * slot, so a node that comes back empty refuses the one-time ids it may have forgotten.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHotState } from '../../src/server/stores/open.js';
import { RedisHotState } from '../../src/server/stores/redis/hot-state.js';
import { keySlot } from '../../src/server/stores/redis/slots.js';
import { startRedisCluster, type TestRedisCluster } from '../support/redis-cluster.js';
import { hotStateContract } from './hot-state.contract.js';
import { streamLeasesContract } from './stream-leases.contract.js';

const prefix = `tollgate:test-${randomUUID()}:`;

describe('Redis Cluster', () => {
  let cluster: TestRedisCluster;
  /** Asks the cluster which node serves which slot. */
  let admin: Redis;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    admin = new Redis(cluster.nodes[0]!.url);
    // It reconnects by itself when a test restarts its node.
    admin.on('error', () => {});
  });
  afterAll(async () => {
    admin?.disconnect();
    await cluster?.remove();
  });
  const open = () => openHotState({ redisClusterNodes: cluster.setting.split(','), prefix });

  hotStateContract(open);
  streamLeasesContract(open);

  it('computes hash slots as the cluster does', async () => {
    for (const key of [`${prefix}{acct-1}:leases`, 'plain', '{}{tag}', 'a{b', 'x{é}y', `${prefix}{s42}:epoch`]) {
      expect(keySlot(key), key).toBe(Number(await cluster.cli(0, 'CLUSTER', 'KEYSLOT', key)));
    }
  });

  it('keeps the keys of each script in one slot, spread over all three nodes', async () => {
    const hot = await open();
    const accounts = Array.from({ length: 30 }, (_, i) => `spread-${i}-${randomUUID()}`);
    for (const account of accounts) {
      const lease = { account, streamId: 's', deviceKey: 'd', limit: 1, mode: 'refuse', countBy: 'session', leaseMs: 60_000 } as const;
      expect((await hot.leases.admit(lease, Date.now())).admitted).toBe(true);
      expect(await hot.consumeOnce(account, 60_000, Date.now(), Date.now() + 10_000)).toBe('first');
    }
    await hot.close();
    const owners = new Set<number>();
    for (const account of accounts) {
      const slot = keySlot(`${prefix}{${account}}:leases`);
      expect(Number(await cluster.cli(0, 'CLUSTER', 'KEYSLOT', `${prefix}{${account}}:lease-info`))).toBe(slot);
      const node = await nodeOf(slot);
      owners.add(node);
      expect(await cluster.cli(node, 'EXISTS', `${prefix}{${account}}:leases`, `${prefix}{${account}}:lease-info`, `${prefix}{${account}}:once`)).toMatch(/^3/);
    }
    expect(owners.size).toBe(3);
  });

  it('refuses, as unknown, a used one-time id whose node came back empty; the other nodes keep theirs', async () => {
    const hot = (await open()) as RedisHotState;
    const issued = Date.now() + 1_000;
    const ids = Array.from({ length: 30 }, (_, i) => `jti-${i}-${randomUUID()}`);
    for (const id of ids) expect(await hot.consumeOnce(id, 60_000, Date.now(), issued)).toBe('first');
    const lost = await nodeOf(keySlot(`${prefix}{${ids[0]}}:once`));
    await cluster.restartEmpty(lost);
    const answers = await retryWhileUnavailable(() => Promise.all(ids.map((id) => hot.consumeOnce(id, 60_000, Date.now(), issued))));
    for (const [i, id] of ids.entries()) {
      const onLost = (await nodeOf(keySlot(`${prefix}{${id}}:once`))) === lost;
      expect(answers[i], id).toBe(onLost ? 'unknown' : 'used');
    }
    await hot.close();
  });

  /** The index of the node serving a slot. */
  async function nodeOf(slot: number): Promise<number> {
    const ranges = await admin.cluster('SLOTS');
    const port = ranges.find(([from, to]) => slot >= from && slot <= to)![2]![1];
    return cluster.nodes.findIndex((n) => n.port === port);
  }
});

/** Commands fail (503 upstream) while the client notices the restart; then they answer. */
async function retryWhileUnavailable<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries > 50) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('Redis Cluster unreachable', () => {
  it('fails to open when no node answers', async () => {
    await expect(openHotState({ redisClusterNodes: ['redis://127.0.0.1:1'], timeoutMs: 200 })).rejects.toThrow(/Failed to refresh slots cache/);
  });
});
