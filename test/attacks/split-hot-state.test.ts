/**
 * Threat: instances that share a database but keep hot state (single-use message ids,
 * revocation and session-ended marks) each in their own memory. A replayed entitlement message
 * then gets one license per instance, and a logout on one instance is ignored by the others.
 * Defence: such a configuration does not start unless the operator says it is one instance.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/server/config.js';

const SHARED_DATABASE = { TOLLGATE_DATABASE_URL: 'postgres://tollgate@db.internal/tollgate' };

describe('attack: replay a single-use message or outlive a logout on a second instance that shares only the database', () => {
  it('refuses a shared database without shared hot state, naming both settings', () => {
    let error: unknown;
    try {
      loadConfig(SHARED_DATABASE);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('TOLLGATE_DATABASE_URL');
    expect((error as Error).message).toContain('TOLLGATE_REDIS_URL');
    expect((error as Error).message).toContain('TOLLGATE_SINGLE_INSTANCE');
  });

  it('refuses it even when TOLLGATE_SINGLE_INSTANCE is anything but true', () => {
    expect(() => loadConfig({ ...SHARED_DATABASE, TOLLGATE_SINGLE_INSTANCE: 'false' })).toThrow(/TOLLGATE_REDIS_URL/);
    expect(() => loadConfig({ ...SHARED_DATABASE, TOLLGATE_SINGLE_INSTANCE: 'yes' })).toThrow(/TOLLGATE_SINGLE_INSTANCE/);
  });

  it('starts with Redis for hot state, or on the operator\'s word that it is the only instance', () => {
    expect(loadConfig({ ...SHARED_DATABASE, TOLLGATE_REDIS_URL: 'redis://cache:6379' }).redisUrl).toBe('redis://cache:6379');
    expect(loadConfig({ ...SHARED_DATABASE, TOLLGATE_SINGLE_INSTANCE: 'true' }).singleInstance).toBe(true);
    // The embedded database cannot be shared, so it needs neither.
    expect(loadConfig({}).singleInstance).toBe(false);
  });
});
