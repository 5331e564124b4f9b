/**
 * Opens the stores from configuration. Durable: PostgreSQL when a database URL is set, else
 * the embedded SQLite file in the data directory; migrations run on open, so a store handed
 * out is always on the schema this build expects. Hot: Redis (one server or a cluster) when
 * configured, else memory.
 * An unreachable backend fails the open: the service never starts half-connected.
 */
import type { DurableStores, HotState } from '../../core/ports.js';
import { MemoryHotState } from './memory/hot-state.js';
import { connectCluster, connectRedis } from './redis/connect.js';
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
import { sqlWatchtowerStore } from './sql/watchtower.js';

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
    watchtower: sqlWatchtowerStore(db),
    events: sqlEventStore(db),
    async ping() {
      await db.query('SELECT 1');
    },
    close: () => db.close(),
  };
}

export interface HotStateOptions {
  /** redis://… — selects one Redis server; else the in-process store (one instance only). */
  readonly redisUrl?: string;
  /** redis://… URLs of Redis Cluster nodes — selects the cluster. */
  readonly redisClusterNodes?: readonly string[];
  /** Key prefix, `tollgate:` by default. */
  readonly prefix?: string;
  /** Bound on connecting and on each command, in ms (TOLLGATE_REDIS_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** The clock, Unix ms: in memory, a process start is a new hot-state epoch. */
  readonly now?: () => number;
}

export async function openHotState(opts: HotStateOptions): Promise<HotState> {
  const timeoutMs = opts.timeoutMs ?? 1_000;
  const nodes = opts.redisClusterNodes ?? [];
  if (!opts.redisUrl && nodes.length === 0) {
    // Whole seconds, as one-time ids carry them: an id issued in this very second still counts
    // as this epoch's (a restart within the second its message was used is the one gap left).
    return new MemoryHotState({ epochStartedAt: Math.floor((opts.now ?? Date.now)() / 1000) * 1000 });
  }
  const redis = await (nodes.length > 0 ? connectCluster(nodes, timeoutMs) : connectRedis(opts.redisUrl!, timeoutMs));
  const hot = new RedisHotState(redis, opts.prefix);
  try {
    // Reading the epochs at start means a first start (or one after Redis lost its data)
    // begins them before this instance mints anything.
    await hot.startEpochs();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return hot;
}
