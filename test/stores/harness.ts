/**
 * What the SQL contract suites need from a backend: a fresh, empty database per call, and
 * ways to open handles on it. sqlite.test.ts and postgres.test.ts provide one each; the
 * suites themselves never know which database they run on.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import { NO_ACCESS_RULES } from '../../src/core/access-rules.js';
import type { DurableStores, PlanRecord, UserRecord } from '../../src/core/ports.js';
import type { SqlDatabase } from '../../src/server/stores/sql/database.js';

export interface SqlTarget {
  /** A raw handle on this database; migrations not applied. */
  openDb(): Promise<SqlDatabase>;
  /** The durable stores on this database, through openDurableStores (migrations applied). */
  openStores(): Promise<DurableStores>;
}

/** Creates a fresh, empty database (a new file, a new schema); the backend cleans it up. */
export type NewSqlTarget = () => Promise<SqlTarget>;

export const id = (prefix: string): string => `${prefix}-${randomUUID()}`;

/**
 * Fresh database and stores for every test, closed afterwards, so list and ordering
 * assertions see only their own rows. Handles opened through `extra` are closed too.
 */
export function useStores(newTarget: NewSqlTarget) {
  const ctx = {} as { target: SqlTarget; stores: DurableStores };
  const extra: { close(): Promise<void> }[] = [];
  beforeEach(async () => {
    ctx.target = await newTarget();
    ctx.stores = await ctx.target.openStores();
  });
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((h) => h.close()));
    await ctx.stores.close();
  });
  return {
    get target(): SqlTarget {
      return ctx.target;
    },
    get stores(): DurableStores {
      return ctx.stores;
    },
    /** Another handle on the same database (as a second instance or process would have). */
    async another(): Promise<DurableStores> {
      const stores = await ctx.target.openStores();
      extra.push(stores);
      return stores;
    },
  };
}

export function plan(overrides: Partial<PlanRecord> = {}): PlanRecord {
  return { id: id('plan'), titles: ['t1', 't2'], maxStreams: 2, streamLimitMode: 'refuse', countBy: 'session', maxDevices: null, requireMfa: false, access: NO_ACCESS_RULES, createdAt: 1_000, updatedAt: 1_000, ...overrides };
}

export function user(planId: string, overrides: Partial<UserRecord> = {}): UserRecord {
  const uid = id('user');
  return { id: uid, email: `${uid}@example.com`, passwordHash: '$argon2id$fake', planId, createdAt: 2_000, disabledAt: null, ...overrides };
}

/** A user (and its plan) to hang refresh families on. */
export async function seedUser(stores: DurableStores): Promise<UserRecord> {
  const p = await stores.plans.upsert(plan());
  const u = user(p.id);
  if (!(await stores.users.create(u))) throw new Error('seed user not created');
  return u;
}
