/**
 * Opens the stores from configuration. Durable: PostgreSQL when a database URL is set, else
 * the embedded SQLite file in the data directory; migrations run on open, so a store handed
 * out is always on the schema this build expects. Hot: Redis when a URL is set, else memory.
 * An unreachable backend fails the open: the service never starts half-connected.
 */
import { Redis } from 'ioredis';
import type { Socket as NetStream } from 'node:net';
import type { DurableStores, HotState } from '../../core/ports.js';
import { MemoryHotState } from './memory/hot-state.js';
import { RedisHotState } from './redis/hot-state.js';
import type { SqlDatabase } from './sql/database.js';
import { sqlDeviceStore } from './sql/devices.js';
import { sqlEventStore } from './sql/events.js';
import { sqlMfaStore } from './sql/mfa.js';
import { migrate } from './sql/migrations.js';
import { sqlPlanStore } from './sql/plans.js';
import { sqlPlaybackSessionStore } from './sql/playback-sessions.js';
import { openPostgres } from './sql/postgres.js';
import { sqlRentalStore } from './sql/rentals.js';
import { sqlRefreshTokenStore } from './sql/refresh-tokens.js';
import { sqlSigningKeyStore } from './sql/signing-keys.js';
import { openSqlite } from './sql/sqlite.js';
import { sqlTitleStore } from './sql/titles.js';
import { sqlUserStore } from './sql/users.js';

export interface DurableStoreOptions {
  /** postgres://… — selects PostgreSQL. */
  readonly databaseUrl?: string;
  /** Where the embedded database lives when no URL is set (created if missing). */
  readonly dataDir: string;
  /** PostgreSQL schema to use instead of the default search_path (e.g. for test isolation). */
  readonly schema?: string;
  /** Bound on each PostgreSQL connect, pool wait and statement (TOLLGATE_DATABASE_TIMEOUT_MS). */
  readonly timeoutMs?: number;
}

export async function openDurableStores(opts: DurableStoreOptions): Promise<DurableStores> {
  const db = opts.databaseUrl
    ? await openPostgres({ url: opts.databaseUrl, ...(opts.schema !== undefined ? { schema: opts.schema } : {}), timeoutMs: opts.timeoutMs })
    : await openSqlite(opts.dataDir);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return sqlDurableStores(db);
}

/** The stores over an already migrated database. */
export function sqlDurableStores(db: SqlDatabase): DurableStores {
  return {
    users: sqlUserStore(db),
    plans: sqlPlanStore(db),
    titles: sqlTitleStore(db),
    signingKeys: sqlSigningKeyStore(db),
    refreshTokens: sqlRefreshTokenStore(db),
    playbackSessions: sqlPlaybackSessionStore(db),
    rentals: sqlRentalStore(db),
    devices: sqlDeviceStore(db),
    mfa: sqlMfaStore(db),
    events: sqlEventStore(db),
    async ping() {
      await db.query('SELECT 1');
    },
    close: () => db.close(),
  };
}

export interface HotStateOptions {
  /** redis://… — selects Redis; else the in-process store (one instance only). */
  readonly redisUrl?: string;
  /** Key prefix, `tollgate:` by default. */
  readonly prefix?: string;
  /** Bound on connecting and on each command, in ms (TOLLGATE_REDIS_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** The clock, Unix ms: in memory, a process start is a new hot-state epoch. */
  readonly now?: () => number;
}

/**
 * How long start-up waits for Redis to become ready. ioredis itself would wait for ever on a
 * server that accepts connections but never answers (a wrong port, a stuck proxy).
 */
export const REDIS_OPEN_TIMEOUT_MS = 5_000;

export async function openHotState(opts: HotStateOptions): Promise<HotState> {
  if (!opts.redisUrl) {
    // Whole seconds, as one-time ids carry them: an id issued in this very second still counts
    // as this epoch's (a restart within the second its message was used is the one gap left).
    return new MemoryHotState({ epochStartedAt: Math.floor((opts.now ?? Date.now)() / 1000) * 1000 });
  }
  // During an outage callers get an error within the timeout and fail closed (503): commands
  // are not queued while disconnected, nor retried, and one unanswered (a frozen server) times
  // out. ioredis keeps reconnecting by itself, so service resumes when Redis is back.
  const timeoutMs = opts.timeoutMs ?? 1_000;
  const redis = new Redis(opts.redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  // Connection errors reach callers as failed commands; this listener keeps the cause (e.g.
  // ECONNREFUSED) for the open error, which ioredis would otherwise call "Connection is closed".
  let cause: unknown;
  redis.on('error', (error: unknown) => (cause = error));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(silent(REDIS_OPEN_TIMEOUT_MS)), REDIS_OPEN_TIMEOUT_MS);
  });
  try {
    await Promise.race([redis.connect(), timeout]);
  } catch (error) {
    redis.disconnect();
    // disconnect() only half-closes a socket still waiting for Redis's first answer; a silent
    // peer would then hold the process open for seconds more.
    (redis.stream as NetStream | undefined)?.destroy();
    // A silent server fails the connection's first command (ioredis: "Command timed out").
    const reason = cause ?? error;
    throw (reason as Error).message === 'Command timed out' ? silent(timeoutMs) : reason;
  } finally {
    clearTimeout(timer);
  }
  const hot = new RedisHotState(redis, opts.prefix);
  try {
    // Reading the epoch at start means a first start (or one after Redis lost its data)
    // begins an epoch before this instance mints anything.
    await hot.epochStartedAt();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return hot;
}

function silent(afterMs: number): Error {
  return new Error(`no answer within ${afterMs / 1000} s`);
}
