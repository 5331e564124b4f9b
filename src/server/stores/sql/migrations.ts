/**
 * Versioned schema migrations, applied in order inside one transaction when a database is
 * opened. Two processes may start at once (a server and the CLI, or several instances): on
 * PostgreSQL an advisory lock serialises them; on SQLite, BEGIN IMMEDIATE does. The second
 * one then finds every version recorded and applies nothing.
 *
 * Portable SQL only: TEXT, BIGINT Unix milliseconds, INTEGER 0/1, JSON as TEXT.
 * Never edit a released migration; add a new one.
 */
import type { SqlDatabase } from './database.js';

export interface Migration {
  readonly version: number;
  readonly statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE plans (
        id TEXT PRIMARY KEY,
        titles TEXT NOT NULL,
        max_streams INTEGER,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL)`,
      `CREATE TABLE users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        plan_id TEXT NOT NULL REFERENCES plans (id),
        created_at BIGINT NOT NULL)`,
      `CREATE TABLE titles (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        protocols TEXT NOT NULL,
        duration_sec INTEGER NOT NULL,
        created_at BIGINT NOT NULL)`,
      `CREATE TABLE content_keys (
        kid TEXT PRIMARY KEY,
        title_id TEXT NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        sealed TEXT NOT NULL,
        created_at BIGINT NOT NULL)`,
      `CREATE INDEX content_keys_title ON content_keys (title_id)`,
      `CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        use TEXT NOT NULL CHECK (use IN ('access', 'playback', 'entitlement')),
        alg TEXT NOT NULL,
        public_jwk TEXT,
        sealed TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        retired_at BIGINT)`,
      // At most one current key per use: two racing rotations cannot both leave a current key.
      `CREATE UNIQUE INDEX signing_keys_current ON signing_keys (use) WHERE retired_at IS NULL`,
      `CREATE INDEX signing_keys_use_created ON signing_keys (use, created_at)`,
      `CREATE TABLE refresh_families (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        device_id TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT,
        revoked_reason TEXT)`,
      `CREATE INDEX refresh_families_user ON refresh_families (user_id)`,
      `CREATE TABLE refresh_tokens (
        hash TEXT PRIMARY KEY,
        family_id TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
        used_at BIGINT,
        created_at BIGINT NOT NULL)`,
      `CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)`,
      `CREATE TABLE playback_sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        family_id TEXT NOT NULL,
        title_id TEXT NOT NULL,
        protocol TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        ended_at BIGINT,
        ended_reason TEXT)`,
      `CREATE INDEX playback_sessions_user ON playback_sessions (user_id)`,
    ],
  },
  {
    version: 2,
    statements: [
      // The token a rotation issued for this one: lets a retry within the reuse grace find it.
      `ALTER TABLE refresh_tokens ADD COLUMN replaced_by TEXT`,
    ],
  },
  {
    version: 3,
    statements: [
      // Rentals: one per user and title; a new grant replaces the old one.
      `CREATE TABLE rentals (
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title_id TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        playback_ms BIGINT,
        first_played_at BIGINT,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (user_id, title_id))`,
      // An operator's switch: a disabled user cannot log in, refresh or use its tokens.
      `ALTER TABLE users ADD COLUMN disabled_at BIGINT`,
      `CREATE INDEX refresh_families_user_live ON refresh_families (user_id, revoked_at)`,
    ],
  },
  {
    version: 4,
    statements: [
      // Devices and MFA (session control).
      `ALTER TABLE plans ADD COLUMN max_devices INTEGER`,
      `ALTER TABLE plans ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE refresh_families ADD COLUMN mfa INTEGER NOT NULL DEFAULT 0`,
      `CREATE INDEX refresh_families_user_device ON refresh_families (user_id, device_id)`,
      `CREATE TABLE devices (
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        device_id TEXT NOT NULL,
        name TEXT,
        first_seen_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL,
        PRIMARY KEY (user_id, device_id))`,
      `CREATE TABLE user_mfa (
        user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        sealed_secret TEXT NOT NULL,
        confirmed_at BIGINT,
        last_step BIGINT)`,
      `CREATE TABLE mfa_recovery_codes (
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        code_hash TEXT NOT NULL,
        used_at BIGINT,
        PRIMARY KEY (user_id, code_hash))`,
    ],
  },
  {
    version: 5,
    statements: [
      // Stream limits: what happens at the limit, and what it counts (issue 9).
      `ALTER TABLE plans ADD COLUMN stream_limit_mode TEXT NOT NULL DEFAULT 'refuse'`,
      `ALTER TABLE plans ADD COLUMN count_by TEXT NOT NULL DEFAULT 'session'`,
    ],
  },
  {
    version: 6,
    statements: [
      // Access layers (issue 10): country allow/block lists and browser origins, as JSON.
      `ALTER TABLE plans ADD COLUMN countries TEXT NOT NULL DEFAULT '{}'`,
      `ALTER TABLE plans ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '[]'`,
      `ALTER TABLE titles ADD COLUMN countries TEXT NOT NULL DEFAULT '{}'`,
      `ALTER TABLE titles ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '[]'`,
    ],
  },
  {
    version: 7,
    statements: [
      // Decision events (issue 11): ids sort by time, so "newest first" is the primary key backwards.
      `CREATE TABLE events (
        id TEXT PRIMARY KEY,
        at BIGINT NOT NULL,
        kind TEXT NOT NULL,
        decision TEXT NOT NULL,
        code TEXT,
        user_id TEXT,
        session_id TEXT,
        device_id TEXT,
        title_id TEXT,
        ip TEXT NOT NULL,
        country TEXT,
        asn BIGINT,
        count INTEGER NOT NULL,
        detail TEXT)`,
      'CREATE INDEX events_at ON events (at)',
      'CREATE INDEX events_user ON events (user_id, id)',
      'CREATE INDEX events_session ON events (session_id, id)',
      'CREATE INDEX events_kind ON events (kind, id)',
    ],
  },
  {
    version: 8,
    statements: [
      // The watchtower (issue 11): alerts, blocks, MFA step-ups, sensitive titles.
      `CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        detector TEXT NOT NULL,
        subject TEXT NOT NULL,
        severity TEXT NOT NULL,
        summary TEXT NOT NULL,
        user_id TEXT,
        session_id TEXT,
        ip TEXT,
        evidence TEXT NOT NULL,
        actions_taken TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
        dry_run INTEGER NOT NULL,
        hits INTEGER NOT NULL,
        created_at BIGINT NOT NULL,
        last_at BIGINT NOT NULL,
        resolved_at BIGINT)`,
      // One open alert per detector and subject, even with several instances raising at once.
      `CREATE UNIQUE INDEX alerts_open ON alerts (detector, subject) WHERE status = 'open'`,
      `CREATE INDEX alerts_status_created ON alerts (status, created_at)`,
      `CREATE TABLE blocks (
        id TEXT PRIMARY KEY,
        network TEXT NOT NULL,
        reason TEXT NOT NULL,
        alert_id TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        lifted_at BIGINT)`,
      `CREATE INDEX blocks_live ON blocks (expires_at) WHERE lifted_at IS NULL`,
      `CREATE TABLE mfa_step_ups (
        user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        alert_id TEXT,
        created_at BIGINT NOT NULL)`,
      `ALTER TABLE titles ADD COLUMN sensitive INTEGER NOT NULL DEFAULT 0`,
    ],
  },
  {
    version: 9,
    statements: [
      // Replacing a confirmed second factor: the new secret waits here until its first code,
      // so the account is never without a factor in between (issue 9).
      `ALTER TABLE user_mfa ADD COLUMN pending_secret TEXT`,
    ],
  },
];

/** Applies the pending migrations; returns the versions it applied (none when up to date). */
export function migrate(db: SqlDatabase, now: number = Date.now()): Promise<number[]> {
  return db.transaction(async (tx) => {
    if (tx.dialect === 'postgres') {
      // Per schema, so isolated test schemas do not wait on each other.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('tollgate.migrate.' || current_schema()))`);
    }
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
    );
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const known = MIGRATIONS.map((m) => m.version);
    const newest = Math.max(0, ...done);
    // An older build must not write to a schema it does not understand.
    if (newest > Math.max(...known)) {
      throw new Error(`database schema version ${newest} is newer than this build knows`);
    }
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
        migration.version,
        now,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}
