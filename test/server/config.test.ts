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

  it('mints compact playback tokens unless told to mint the JWT form', () => {
    expect(loadConfig({}).playbackTokenFormat).toBe('compact');
    expect(loadConfig({ TOLLGATE_PLAYBACK_TOKEN_FORMAT: 'jwt' }).playbackTokenFormat).toBe('jwt');
    expect(() => loadConfig({ TOLLGATE_PLAYBACK_TOKEN_FORMAT: 'JWT' })).toThrow(/TOLLGATE_PLAYBACK_TOKEN_FORMAT: "JWT" must be one of compact, jwt/);
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

  it('reads Redis Cluster nodes as URLs with one credential, instead of one Redis server, and lets instances share a database on them', () => {
    const nodes = 'redis://:s3cret@r1:7000, redis://:s3cret@r2:7000';
    expect(loadConfig({}).redisClusterNodes).toEqual([]);
    expect(loadConfig({ TOLLGATE_REDIS_CLUSTER_NODES: nodes, TOLLGATE_DATABASE_URL: 'postgres://u@db/t' }).redisClusterNodes).toEqual(['redis://:s3cret@r1:7000', 'redis://:s3cret@r2:7000']);
    expect(() => loadConfig({ TOLLGATE_REDIS_CLUSTER_NODES: nodes, TOLLGATE_REDIS_URL: 'redis://cache:6379' })).toThrow(/set one \(a server, or a cluster\)/);
    expect(() => loadConfig({ TOLLGATE_REDIS_CLUSTER_NODES: 'r1:7000' })).toThrow(/TOLLGATE_REDIS_CLUSTER_NODES: a comma-separated list of redis/);
    expect(() => loadConfig({ TOLLGATE_REDIS_CLUSTER_NODES: 'redis://r1:7000,http://r2:7000' })).toThrow(/TOLLGATE_REDIS_CLUSTER_NODES/);
    let error: unknown;
    try {
      loadConfig({ TOLLGATE_REDIS_CLUSTER_NODES: 'redis://:s3cret@r1:7000,redis://:other@r2:7000' });
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toContain('TOLLGATE_REDIS_CLUSTER_NODES: every node needs the same scheme, user name and password');
    expect((error as Error).message).not.toMatch(/s3cret|other/);
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

  it('binds playback tokens to the client network by default, reads the first name of the setting with a warning', () => {
    expect(loadConfig({}).bindIp).toBe('prefix');
    expect(loadConfig({ TOLLGATE_BIND_IP: 'off' }).bindIp).toBe('off');
    expect(loadConfig({ TOLLGATE_BIND_IP: 'exact' }).bindIp).toBe('exact');
    expect(() => loadConfig({ TOLLGATE_BIND_IP: 'subnet' })).toThrow(/TOLLGATE_BIND_IP: "subnet" must be one of off, exact, prefix/);
    const old = readConfig({ TOLLGATE_PLAYBACK_BIND_IP: 'exact' });
    expect(old.config.bindIp).toBe('exact');
    expect(old.warnings).toEqual(['TOLLGATE_PLAYBACK_BIND_IP is deprecated: use TOLLGATE_BIND_IP']);
    const both = readConfig({ TOLLGATE_PLAYBACK_BIND_IP: 'exact', TOLLGATE_BIND_IP: 'off' });
    expect(both.config.bindIp).toBe('off');
    expect(both.warnings).toEqual(['TOLLGATE_PLAYBACK_BIND_IP is deprecated: use TOLLGATE_BIND_IP, which is also set and wins']);
  });

  it('uses the shipped country database unless TOLLGATE_GEOIP_DB names a file (resolved to an absolute path)', () => {
    expect(loadConfig({}).geoipDb).toBeUndefined();
    expect(loadConfig({ TOLLGATE_GEOIP_DB: '/srv/GeoLite2-Country.mmdb' }).geoipDb).toBe('/srv/GeoLite2-Country.mmdb');
    expect(loadConfig({ TOLLGATE_GEOIP_DB: 'geo/GeoLite2-Country.mmdb' }).geoipDb).toMatch(/^\/.*\/geo\/GeoLite2-Country\.mmdb$/);
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

  it('reads the watchtower settings: detectors as JSON, alert dedupe, and a signed webhook', () => {
    const defaults = loadConfig({}).watchtower;
    expect(defaults).toMatchObject({ dedupeSec: 3600, webhookUrl: undefined, webhookSecret: undefined, webhookAttempts: 6 });
    expect(defaults.detectors.impossible_travel).toMatchObject({ enabled: true, dryRun: false, responses: [], thresholds: { max_speed_kmh: 1000 } });
    const set = loadConfig({
      TOLLGATE_DETECTORS: '{"credential_stuffing":{"responses":["block_address"],"block_minutes":15}}',
      TOLLGATE_ALERT_DEDUPE_SECONDS: '600',
      TOLLGATE_ALERT_WEBHOOK_URL: 'https://siem.example.com/hook',
      TOLLGATE_ALERT_WEBHOOK_SECRET: 'a-long-enough-secret',
      TOLLGATE_ALERT_WEBHOOK_ATTEMPTS: '3',
    }).watchtower;
    expect(set).toMatchObject({ dedupeSec: 600, webhookUrl: 'https://siem.example.com/hook', webhookAttempts: 3 });
    expect(set.detectors.credential_stuffing).toMatchObject({ responses: ['block_address'], blockMinutes: 15 });
    const bad = () => loadConfig({ TOLLGATE_DETECTORS: '{"spikes":{"factor":0}}', TOLLGATE_ALERT_WEBHOOK_URL: 'ftp://x', TOLLGATE_ALERT_WEBHOOK_ATTEMPTS: '99' });
    expect(bad).toThrow(/TOLLGATE_DETECTORS: spikes.factor: must be a number from 1 to 10000/);
    expect(bad).toThrow(/TOLLGATE_ALERT_WEBHOOK_URL/);
    expect(bad).toThrow(/TOLLGATE_ALERT_WEBHOOK_ATTEMPTS/);
    // The secret is never echoed in a problem.
    expect(() => loadConfig({ TOLLGATE_ALERT_WEBHOOK_URL: 'https://x.example/h', TOLLGATE_ALERT_WEBHOOK_SECRET: 'shortsecret' })).toThrow(/^(?![\s\S]*shortsecret)[\s\S]*TOLLGATE_ALERT_WEBHOOK_SECRET/);
  });
});
