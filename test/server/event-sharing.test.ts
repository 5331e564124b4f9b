/**
 * Events across instances: two instances on one PostgreSQL database and one Redis. A detector
 * subscribed under one name on both sees every event of both instances once, in order, in one
 * of them (Redis Streams, one consumer group read by the lease holder), so a pattern spread
 * over instances raises its alert; when the reader stops (closed or frozen) the other reads
 * on, taking over what it left unacknowledged. Without Redis, subscribers are called in-process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionEvent } from '../../src/core/events.js';
import { buildApp } from '../../src/server/app.js';
import { compose, type Services } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';
import { InProcessEventBus } from '../../src/server/monitor/event-bus.js';
import { RedisEventBus } from '../../src/server/monitor/redis-event-bus.js';
import { ADMIN_TOKEN, freshPostgresDatabase, TEST_REDIS_URL } from '../support/app.js';
import { copiedUrlAcrossInstances, expectCopiedUrlAlert } from '../support/shared-events.js';

const prefix = () => `tollgate-events-${Math.random().toString(36).slice(2, 10)}:`;
const until = async (done: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('events shared by two instances over PostgreSQL and Redis', () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const instances: { services: Services; app: FastifyInstance }[] = [];
  const seen: { instance: number; event: DecisionEvent }[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-events-'));
    database = await freshPostgresDatabase();
    const env = {
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_DATABASE_URL: database.url,
      TOLLGATE_REDIS_URL: TEST_REDIS_URL,
      TOLLGATE_REDIS_PREFIX: prefix(),
      TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN,
      TOLLGATE_LOG_LEVEL: 'silent',
    };
    for (let i = 0; i < 2; i++) {
      const services = await compose(loadConfig(env));
      services.events.bus.subscribe({ name: 'detectors', observe: (event) => void seen.push({ instance: i, event }) });
      await (services.events.bus as RedisEventBus).subscribed();
      instances.push({ services, app: buildApp(services) });
    }
  });
  afterAll(async () => {
    for (const { app, services } of instances) {
      await app.close();
      await services.close();
    }
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("delivers every instance's events once to the detectors of the cluster, and stores them once", async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    for (let i = 0; i < 30; i++) {
      const { app } = instances[i % 2]!;
      const response = await app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: `plan-${i}`, titles: '*' } });
      expect(response.statusCode).toBe(200);
    }
    await until(() => seen.length >= 30);
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive by now
    const ids = seen.map((s) => s.event.id);
    expect(new Set(ids).size).toBe(30);
    expect(ids).toHaveLength(30);
    // One reader for the name: every event of both instances reaches one process.
    expect(new Set(seen.map((s) => s.instance)).size).toBe(1);
    expect(seen.every((s) => s.event.kind === 'admin' && s.event.decision === 'grant')).toBe(true);
    for (const { services } of instances) await services.events.flush();
    const stored = await instances[1]!.services.stores.events.query({ kind: 'admin', limit: 100 });
    expect(stored.map((e) => e.id).sort()).toEqual([...ids].sort());
  });

  it("raises the alert for a pattern split between the instances' requests", async () => {
    const sessionId = await copiedUrlAcrossInstances(instances[0]!.services, instances[1]!.services);
    await expectCopiedUrlAlert(instances, sessionId);
  });
});

describe('the Redis event bus', () => {
  const event = (n: number): DecisionEvent => ({ id: `e${n}`, at: n, kind: 'login', decision: 'deny', ip: '192.0.2.1' });
  type Options = ConstructorParameters<typeof RedisEventBus>[0];

  /** A bus whose reader takes an event and never finishes observing it: a frozen or dying instance. */
  async function stuckBus(options: Options): Promise<{ bus: RedisEventBus; stuck: () => number }> {
    const bus = new RedisEventBus(options);
    let stuck = 0;
    bus.subscribe({ name: 'detectors', observe: () => new Promise<void>(() => void stuck++) });
    await bus.subscribed();
    return { bus, stuck: () => stuck };
  }

  /** A bus whose reader lists the ids it observes. */
  async function listingBus(options: Options): Promise<{ bus: RedisEventBus; got: string[] }> {
    const bus = new RedisEventBus(options);
    const got: string[] = [];
    bus.subscribe({ name: 'detectors', observe: (e) => void got.push(e.id) });
    await bus.subscribed();
    return { bus, got };
  }

  it('hands the unacknowledged events of a reader that died to another after the idle time', async () => {
    const shared = { url: TEST_REDIS_URL, prefix: prefix(), timeoutMs: 1_000, claimIdleMs: 500, onError: () => undefined };
    const { bus: dying, stuck } = await stuckBus(shared);
    dying.publish(event(1));
    await until(() => stuck() === 1);
    await dying.close();
    const { bus: survivor, got } = await listingBus(shared);
    survivor.publish(event(2));
    await until(() => got.includes('e1') && got.includes('e2'));
    await survivor.close();
  });

  it('lets another instance read on once a frozen reader stops renewing its lease', async () => {
    const shared = { url: TEST_REDIS_URL, prefix: prefix(), timeoutMs: 1_000, claimIdleMs: 500, leaseMs: 1_000, onError: () => undefined };
    const { bus: frozen, stuck } = await stuckBus(shared); // hangs: no renewal
    const { bus: other, got } = await listingBus(shared);
    frozen.publish(event(1));
    await until(() => stuck() === 1); // the first reader holds the lease and took e1
    other.publish(event(2));
    other.publish(event(3));
    await until(() => ['e1', 'e2', 'e3'].every((id) => got.includes(id)), 10_000);
    expect(stuck()).toBe(1);
    await Promise.all([frozen.close(), other.close()]);
  });
});

describe('the in-process event bus', () => {
  it('calls each subscriber once per event, in order, and survives one that throws', async () => {
    const errors: string[] = [];
    const bus = new InProcessEventBus((name) => errors.push(name));
    const got: string[] = [];
    bus.subscribe({ name: 'broken', observe: () => Promise.reject(new Error('boom')) });
    bus.subscribe({ name: 'ok', observe: async (e) => void got.push(e.id) });
    for (let n = 1; n <= 3; n++) bus.publish({ id: `e${n}`, at: n, kind: 'key', decision: 'grant', ip: '192.0.2.1' });
    await until(() => got.length === 3);
    expect(got).toEqual(['e1', 'e2', 'e3']);
    expect(errors).toEqual(['broken', 'broken', 'broken']);
    await bus.close();
  });
});
