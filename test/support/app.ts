/**
 * Test harness: a composed Tollgate on a fresh data dir (SQLite) or a fresh PostgreSQL
 * database, with a movable clock, and the Fastify app for inject() calls.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { type AppOptions, buildApp } from '../../src/server/app.js';
import { compose, type ComposeOptions, type Services } from '../../src/server/compose.js';
import { type Config, loadConfig } from '../../src/server/config.js';
import { type LicensePath, sendLicenseRequest } from './license-paths.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const TEST_DATABASE_URL = process.env.TOLLGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TOLLGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type Backend = 'sqlite' | 'postgres';

export interface TestApp {
  readonly app: FastifyInstance;
  readonly services: Services;
  readonly config: Config;
  readonly clock: { now: number };
  close(): Promise<void>;
}

/** A fresh, empty PostgreSQL database; returns its URL and a function that drops it. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `tollgate_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function startTestApp(
  options: { backend?: Backend; env?: Record<string, string>; overrides?: Partial<Config>; compose?: Omit<ComposeOptions, 'now'>; logStream?: AppOptions['logStream'] } = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-test-'));
  const database = options.backend === 'postgres' ? await freshPostgresDatabase() : undefined;
  const config = loadConfig(
    {
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN,
      TOLLGATE_LOG_LEVEL: 'silent',
      // Its own keys on a shared Redis, so other test files' counters never reach this app.
      TOLLGATE_REDIS_PREFIX: `tollgate-${Math.random().toString(36).slice(2, 10)}:`,
      // One instance per database here; tests of several instances bring their own Redis.
      ...(database ? { TOLLGATE_DATABASE_URL: database.url, TOLLGATE_SINGLE_INSTANCE: 'true' } : {}),
      ...options.env,
    },
    options.overrides,
  );
  const clock = { now: Date.now() };
  const services = await compose(config, { ...options.compose, now: () => clock.now });
  const app = buildApp(services, options.logStream ? { logStream: options.logStream } : {});
  await app.ready();
  return {
    app,
    services,
    config,
    clock,
    async close() {
      await app.close();
      await services.close();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a plan and a subscriber through the admin API; returns the credentials. */
export async function seedSubscriber(
  app: FastifyInstance,
  opts: { email?: string; password?: string; plan?: string; titles?: string[] | '*' } = {},
): Promise<{ email: string; password: string; planId: string; userId: string }> {
  const email = opts.email ?? `viewer-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = opts.password ?? 'correct horse battery';
  const planId = opts.plan ?? 'basic';
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const plan = await app.inject({ method: 'POST', url: '/v1/admin/plans', headers: auth, payload: { id: planId, titles: opts.titles ?? ['t1', 't2'] } });
  if (plan.statusCode !== 200) throw new Error(`plan: ${plan.body}`);
  const user = await app.inject({ method: 'POST', url: '/v1/admin/users', headers: auth, payload: { email, password, plan_id: planId } });
  if (user.statusCode !== 201) throw new Error(`user: ${user.body}`);
  return { email, password, planId, userId: user.json().user_id };
}

export async function login(app: FastifyInstance, email: string, password: string) {
  return app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
}

/** A ClearKey license request as an entitlement proxy sends it: an entitlement message and one key id (hex). */
export function presentEntitlement(app: FastifyInstance, message: string, hexKid: string) {
  return app.inject({
    method: 'POST',
    url: '/v1/license/clearkey',
    headers: { 'content-type': 'application/json', 'x-tollgate-entitlement': message },
    payload: JSON.stringify({ kids: [Buffer.from(hexKid, 'hex').toString('base64url')] }),
  });
}

/** A player's ClearKey license request for one key id (hex) to a session's license_url, by either HTTP path. */
export function requestLicense(t: TestApp, licenseUrl: string, hexKid: string, via: LicensePath = 'route') {
  return sendLicenseRequest(via, t.app, {
    url: licenseUrl.replace(t.config.publicUrl, ''),
    payload: JSON.stringify({ kids: [Buffer.from(hexKid, 'hex').toString('base64url')] }),
    headers: { 'content-type': 'application/octet-stream' },
  });
}
