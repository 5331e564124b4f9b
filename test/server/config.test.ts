import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { ConfigError, loadConfig, readConfig } from '../../src/server/config.js';

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

  it('records events by default for 30 days, summarised per 10 s, and reads the SIEM target and bad values by name', () => {
    expect(loadConfig({}).events).toEqual({ enabled: true, retentionDays: 30, summarySec: 10, siem: undefined });
    const set = loadConfig({ TOLLGATE_EVENTS: 'off', TOLLGATE_EVENTS_RETENTION_DAYS: '7', TOLLGATE_EVENTS_SUMMARY_SECONDS: '5', TOLLGATE_EVENTS_SIEM: 'stdout' }).events;
    expect(set).toEqual({ enabled: false, retentionDays: 7, summarySec: 5, siem: 'stdout' });
    expect(loadConfig({ TOLLGATE_EVENTS_SIEM: 'events.ndjson' }).events.siem).toEqual({ file: resolve('events.ndjson') });
    expect(() => loadConfig({ TOLLGATE_EVENTS: 'maybe', TOLLGATE_EVENTS_RETENTION_DAYS: '0', TOLLGATE_EVENTS_SUMMARY_SECONDS: '301' })).toThrow(
      /TOLLGATE_EVENTS: [\s\S]*TOLLGATE_EVENTS_RETENTION_DAYS: [\s\S]*TOLLGATE_EVENTS_SUMMARY_SECONDS: /,
    );
  });

  it('prefixes Redis keys with tollgate: unless told otherwise, and refuses a prefix that moves hash slots', () => {
    expect(loadConfig({}).redisPrefix).toBe('tollgate:');
    expect(loadConfig({ TOLLGATE_REDIS_PREFIX: 'tollgate-staging:' }).redisPrefix).toBe('tollgate-staging:');
    expect(() => loadConfig({ TOLLGATE_REDIS_PREFIX: 'a{b}:' })).toThrow(/TOLLGATE_REDIS_PREFIX/);
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
      TOLLGATE_SINGLE_INSTANCE: 'false',
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

  it('warns about each unknown TOLLGATE_* variable, with the setting it most likely meant', () => {
    const { warnings } = readConfig({ TOLLGATE_PROT: '9000', TOLLGATE_ADMN_TOKEN: 'x', TOLLGATE_WHATEVER: '1', TOLLGATE_PORT: '9001' });
    expect(warnings).toEqual([
      'unknown setting TOLLGATE_ADMN_TOKEN is ignored (did you mean TOLLGATE_ADMIN_TOKEN?)',
      'unknown setting TOLLGATE_PROT is ignored (did you mean TOLLGATE_PORT?)',
      'unknown setting TOLLGATE_WHATEVER is ignored',
    ]);
  });

  it('knows every setting it reads, and leaves TOLLGATE_TEST_* and other programs\' variables alone', () => {
    const { warnings } = readConfig({
      TOLLGATE_FFMPEG: '/usr/bin/ffmpeg',
      TOLLGATE_DRM_COM_KEY_ID: '00000000-0000-0000-0000-000000000000',
      TOLLGATE_TEST_DATABASE_URL: 'postgres://x/y',
      TOLLGATE_LOG_LEVEL: 'warn',
      HOME: '/root',
    });
    expect(warnings).toEqual([]);
  });

  it('puts a reachable host, not a wildcard address, into URLs, and says to set TOLLGATE_PUBLIC_URL', () => {
    const { config, warnings } = readConfig({ TOLLGATE_HOST: '0.0.0.0', TOLLGATE_PORT: '9000' });
    expect(config.publicUrl).toBe('http://localhost:9000');
    expect(warnings.join('\n')).toContain('TOLLGATE_PUBLIC_URL');
    expect(readConfig({ TOLLGATE_HOST: '::', TOLLGATE_PUBLIC_URL: 'https://tv.example.com' })).toMatchObject({
      config: { publicUrl: 'https://tv.example.com' },
      warnings: [],
    });
    expect(loadConfig({ TOLLGATE_HOST: '::1' }).publicUrl).toBe('http://[::1]:8080');
  });
});
