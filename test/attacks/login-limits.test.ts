/**
 * Attacks on login limits: parallel bursts that outrun the counters (one instance and two on
 * one Redis), a right password slipped in after the limit, IPv6 address rotation, locking the
 * real user out, and a login flood that starves media reads of libuv's thread pool.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { compose, type Services } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp, TEST_REDIS_URL } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

const LIMITS = {
  TOLLGATE_LOGIN_MAX_FAILURES_PER_ACCOUNT: '5',
  TOLLGATE_LOGIN_MAX_FAILURES_PER_ADDRESS: '20',
  TOLLGATE_LOGIN_MAX_FAILURES_PER_ACCOUNT_TOTAL: '12',
  // Room for every evaluated attempt, so these tests see limits, not the flood gate.
  TOLLGATE_LOGIN_QUEUE: '1000',
};

/** A random address, so runs sharing one Redis never share counters. */
const randomV4 = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const randomV6Net = () => `2001:db8:${randomInt(65536).toString(16)}:${randomInt(65536).toString(16)}`;

function attempt(app: FastifyInstance, email: string, password: string, address: string) {
  return app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: address, payload: { email, password } });
}

function statuses(responses: readonly LightMyRequestResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
  return counts;
}

describe('attack: parallel password guessing on one instance', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: LIMITS });
  });
  afterAll(() => t.close());

  it('refuses all but the per-account limit of 200 parallel wrong passwords from one address', async () => {
    const victim = await seedSubscriber(t.app, { plan: 'p1' });
    const address = randomV4();
    const burst = await Promise.all(Array.from({ length: 200 }, () => attempt(t.app, victim.email, 'wrong password', address)));
    expect(statuses(burst)).toEqual({ 401: 5, 429: 195 });
    for (const r of burst.filter((x) => x.statusCode === 429)) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('refuses all but the per-address limit of 150 parallel wrong passwords across accounts', async () => {
    const address = randomV4();
    const burst = await Promise.all(
      Array.from({ length: 150 }, (_, i) => attempt(t.app, `guess-${i}-${randomUUID()}@example.com`, 'wrong password', address)),
    );
    expect(statuses(burst)).toEqual({ 401: 20, 429: 130 });
  });

  it('refuses a right password that comes last in a burst, and it clears no one else’s failures', async () => {
    const victim = await seedSubscriber(t.app, { plan: 'p1' });
    const attacker = randomV4();
    const burst = await Promise.all([
      ...Array.from({ length: 60 }, () => attempt(t.app, victim.email, 'wrong password', attacker)),
      attempt(t.app, victim.email, victim.password, attacker),
    ]);
    expect(burst.at(-1)!.statusCode).toBe(429);
    expect(statuses(burst)).toEqual({ 401: 5, 429: 56 });
    // The victim, from their own address, logs in; the attacker's address stays locked.
    expect((await attempt(t.app, victim.email, victim.password, randomV4())).statusCode).toBe(200);
    expect((await attempt(t.app, victim.email, victim.password, attacker)).statusCode).toBe(429);
  });

  it('counts an IPv6 /64 as one address: rotating within it buys nothing', async () => {
    const victim = await seedSubscriber(t.app, { plan: 'p1' });
    const net = randomV6Net();
    const rotating = await Promise.all(
      Array.from({ length: 30 }, (_, i) => attempt(t.app, victim.email, 'wrong password', `${net}:${i.toString(16)}:0:0:${(i + 1).toString(16)}`)),
    );
    expect(statuses(rotating)).toEqual({ 401: 5, 429: 25 });
    expect((await attempt(t.app, victim.email, victim.password, `${net}::beef`)).statusCode).toBe(429);
    // Another /64 is another address.
    expect((await attempt(t.app, victim.email, victim.password, `${randomV6Net()}::1`)).statusCode).toBe(200);
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 address', async () => {
    const victim = await seedSubscriber(t.app, { plan: 'p1' });
    const v4 = randomV4();
    for (let i = 0; i < 5; i++) await attempt(t.app, victim.email, 'wrong password', i % 2 ? v4 : `::ffff:${v4}`);
    expect((await attempt(t.app, victim.email, victim.password, `::ffff:${v4}`)).statusCode).toBe(429);
    expect((await attempt(t.app, victim.email, victim.password, v4)).statusCode).toBe(429);
  });
});

describe('attack: locking the real user out', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: LIMITS });
  });
  afterAll(() => t.close());

  it('refuses guesses from one address without locking the victim out from another', async () => {
    const victim = await seedSubscriber(t.app, { plan: 'p1' });
    const attacker = randomV4();
    for (let i = 0; i < 8; i++) await attempt(t.app, victim.email, 'wrong password', attacker);
    expect((await attempt(t.app, victim.email, victim.password, attacker)).statusCode).toBe(429);
    expect((await attempt(t.app, victim.email, victim.password, randomV4())).statusCode).toBe(200);
  });

  it('stops guesses spread over many addresses at the account total, but not the victim’s known address', async () => {
    const victim = await seedSubscriber(t.app, { plan: 'p1' });
    const home = randomV4();
    expect((await attempt(t.app, victim.email, victim.password, home)).statusCode).toBe(200);
    // 3 guesses from each of 8 addresses: 24 tries, of which the account total lets 12 through.
    const spread = await Promise.all(
      Array.from({ length: 8 }, randomV4).flatMap((a) => [0, 1, 2].map(() => attempt(t.app, victim.email, 'wrong password', a))),
    );
    expect(statuses(spread)).toEqual({ 401: 12, 429: 12 });
    expect((await attempt(t.app, victim.email, victim.password, randomV4())).statusCode).toBe(429);
    expect((await attempt(t.app, victim.email, victim.password, home)).statusCode).toBe(200);
    // The ceiling lasts one failure window, not for good.
    const start = t.clock.now;
    try {
      t.clock.now = start + 901_000;
      expect((await attempt(t.app, victim.email, victim.password, randomV4())).statusCode).toBe(200);
    } finally {
      t.clock.now = start;
    }
  });
});

describe('attack: parallel password guessing across two instances on one Redis', () => {
  let dataDir: string;
  const instances: { services: Services; app: FastifyInstance }[] = [];
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-login-limits-'));
    const env = { ...LIMITS, TOLLGATE_DATA_DIR: dataDir, TOLLGATE_REDIS_URL: TEST_REDIS_URL, TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN, TOLLGATE_LOG_LEVEL: 'silent' };
    for (let i = 0; i < 2; i++) {
      const services = await compose(loadConfig(env));
      instances.push({ services, app: buildApp(services) });
    }
  });
  afterAll(async () => {
    for (const { app, services } of instances) {
      await app.close();
      await services.close();
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('evaluates only the per-account limit of 100 parallel wrong passwords split over both', async () => {
    const victim = await seedSubscriber(instances[0]!.app, { plan: 'p1', email: `redis-${randomUUID()}@example.com` });
    const address = randomV4();
    const burst = await Promise.all(
      Array.from({ length: 100 }, (_, i) => attempt(instances[i % 2]!.app, victim.email, 'wrong password', address)),
    );
    expect(statuses(burst)).toEqual({ 401: 5, 429: 95 });
    expect((await attempt(instances[1]!.app, victim.email, victim.password, address)).statusCode).toBe(429);
  });

  it('evaluates only the per-address limit across accounts, split over both', async () => {
    const address = randomV4();
    const burst = await Promise.all(
      Array.from({ length: 60 }, (_, i) => attempt(instances[i % 2]!.app, `guess-${randomUUID()}@example.com`, 'wrong password', address)),
    );
    expect(statuses(burst)).toEqual({ 401: 20, 429: 40 });
  });
});

describe('attack: a login flood', () => {
  let t: TestApp;
  let segmentUrl: string;
  beforeAll(async () => {
    // No media cache: every segment request reads the file through libuv's thread pool.
    t = await startTestApp({ env: { TOLLGATE_LOGIN_CONCURRENCY: '1', TOLLGATE_LOGIN_QUEUE: '4', TOLLGATE_MEDIA_CACHE_MB: '0' } });
    await registerSyntheticTitle(t.services, 'movie');
    const viewer = await seedSubscriber(t.app, { plan: 'basic', titles: ['movie'] });
    const { access_token } = (await login(t.app, viewer.email, viewer.password)).json();
    const started = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: { authorization: `Bearer ${access_token}` }, payload: { title_id: 'movie' } });
    segmentUrl = started.json().manifest_url.replace(t.config.publicUrl, '').replace('hls/master.m3u8', 'hls/360p/seg_00001.ts');
  });
  afterAll(() => t.close());

  it('answers the excess 503 with Retry-After, and keeps serving segments meanwhile', async () => {
    const flood = Array.from({ length: 100 }, (_, i) => attempt(t.app, `flood-${i}@example.com`, 'wrong password', randomV4()));
    const segment = await t.app.inject({ method: 'GET', url: segmentUrl });
    expect(segment.statusCode).toBe(200);
    expect(segment.rawPayload).toEqual(Buffer.alloc(1000, 2));
    const answers = await Promise.all(flood);
    const counts = statuses(answers);
    expect(Object.keys(counts).sort()).toEqual(['401', '503']);
    // One running and four waiting are checked; the rest are turned away at once.
    expect(counts[401]).toBeGreaterThanOrEqual(5);
    expect(counts[503]).toBeGreaterThanOrEqual(50);
    for (const r of answers.filter((x) => x.statusCode === 503)) {
      expect(r.json().code).toBe('unavailable');
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    }
  });
});
