import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/server/config.js';

describe('configuration', () => {
  it('has documented defaults and is frozen', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      publicUrl: 'http://127.0.0.1:8080',
      databaseUrl: undefined,
      redisUrl: undefined,
      adminToken: undefined,
      masterKey: undefined,
      corsOrigins: [],
      trustProxy: [],
      accessTokenTtlSec: 600,
      signingAlg: 'EdDSA',
    });
    expect(config.dataDir).toMatch(/\/data$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('bounds login work by default to two fewer than libuv threads, at least one', () => {
    expect(loadConfig({})).toMatchObject({ loginConcurrency: 2, loginQueue: 64, loginMaxFailuresPerAccountTotal: 100 });
    expect(loadConfig({ UV_THREADPOOL_SIZE: '16' }).loginConcurrency).toBe(14);
    expect(loadConfig({ UV_THREADPOOL_SIZE: '2' }).loginConcurrency).toBe(1);
    expect(loadConfig({ TOLLGATE_LOGIN_CONCURRENCY: '3', TOLLGATE_LOGIN_QUEUE: '0' })).toMatchObject({ loginConcurrency: 3, loginQueue: 0 });
    expect(() => loadConfig({ TOLLGATE_LOGIN_CONCURRENCY: '0' })).toThrow(/TOLLGATE_LOGIN_CONCURRENCY/);
  });

  it('reads every contract variable', () => {
    const config = loadConfig({
      TOLLGATE_HOST: '0.0.0.0',
      TOLLGATE_PORT: '9000',
      TOLLGATE_PUBLIC_URL: 'https://tv.example.com/',
      TOLLGATE_DATA_DIR: '/tmp/tg',
      TOLLGATE_DATABASE_URL: 'postgres://u@db/tollgate',
      TOLLGATE_REDIS_URL: 'redis://cache:6379',
      TOLLGATE_ADMIN_TOKEN: 'a-long-admin-token',
      TOLLGATE_MASTER_KEY: 'ab'.repeat(32),
      TOLLGATE_CORS_ORIGINS: 'https://a.example.com, https://b.example.com',
      TOLLGATE_TRUST_PROXY: '10.0.0.1,192.168.0.0/16,::1',
    });
    expect(config.publicUrl).toBe('https://tv.example.com');
    expect(config.masterKey).toHaveLength(32);
    expect(config.corsOrigins).toEqual(['https://a.example.com', 'https://b.example.com']);
    expect(config.trustProxy).toEqual(['10.0.0.1', '192.168.0.0/16', '::1']);
  });

  it('lists every bad value by variable, without echoing the master key', () => {
    let error: unknown;
    try {
      loadConfig({
        TOLLGATE_PORT: 'eighty',
        TOLLGATE_DATABASE_URL: 'mysql://x',
        TOLLGATE_MASTER_KEY: 'secret-but-short',
        TOLLGATE_TRUST_PROXY: 'proxy.local',
        TOLLGATE_CORS_ORIGINS: 'example.com',
        TOLLGATE_ACCESS_TOKEN_TTL: '3600',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['TOLLGATE_PORT', 'TOLLGATE_DATABASE_URL', 'TOLLGATE_MASTER_KEY', 'TOLLGATE_TRUST_PROXY', 'TOLLGATE_CORS_ORIGINS', 'TOLLGATE_ACCESS_TOKEN_TTL']) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('secret-but-short');
  });
});
