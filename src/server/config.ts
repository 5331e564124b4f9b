/**
 * Configuration, validated once at boot into a frozen, typed object. Every setting has a
 * TOLLGATE_* variable and a documented default (docs/CONFIGURATION.md); a bad value stops the
 * process with a message naming the variable, before anything listens or writes.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { unknownSettingWarnings } from './config-names.js';
import { Reader } from './config-reader.js';
import { readTls, type TlsFiles } from './config-tls.js';
import { readServingSettings, type ServingSettings } from './edge/edge-settings.js';
import type { RateLimits } from './http/rate-limit.js';
import { readWatchtowerConfig, type WatchtowerConfig } from './monitor/watchtower-config.js';

export interface Config {
  readonly host: string;
  readonly port: number;
  /** PEM certificate chain and key: the server speaks HTTPS (config-tls.ts); undefined = HTTP. */
  readonly tls: TlsFiles | undefined;
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  /** URLs of Redis Cluster nodes (TOLLGATE_REDIS_CLUSTER_NODES); empty = no cluster. */
  readonly redisClusterNodes: readonly string[];
  /** Prefix of every Redis key, so deployments can share one Redis. */
  readonly redisPrefix: string;
  /** The operator's word that only one instance uses this database (no Redis needed then). */
  readonly singleInstance: boolean;
  readonly adminToken: string | undefined;
  /** 32 bytes; undefined = use (or create) <dataDir>/master.key. */
  readonly masterKey: Uint8Array | undefined;
  readonly corsOrigins: readonly string[];
  /** Proxy addresses (or CIDR ranges) whose X-Forwarded-For is believed. */
  readonly trustProxy: readonly string[];
  readonly accessTokenTtlSec: number;
  /** Clock difference between servers every verifier tolerates (iat, nbf, exp), seconds. */
  readonly clockSkewSec: number;
  readonly refreshFamilyTtlSec: number;
  /** A retry of the just-rotated refresh token within this many seconds gets a new pair; 0 = off. */
  readonly refreshReuseGraceSec: number;
  readonly signingAlg: 'EdDSA' | 'ES256';
  readonly loginMaxFailuresPerAccount: number;
  readonly loginMaxFailuresPerAddress: number;
  readonly loginFailureWindowSec: number;
  /** Failures on one account from addresses that never logged in to it (see login-limits.ts). */
  readonly loginMaxFailuresPerAccountTotal: number;
  /** Password checks running at once; default leaves two libuv threads for file reads. */
  readonly loginConcurrency: number;
  /** Logins waiting for a password check; beyond it, 503 unavailable. */
  readonly loginQueue: number;
  /** How playback tokens travel: in the URL path (default), the query string, or a cookie. */
  readonly tokenMode: 'path' | 'query' | 'cookie';
  readonly playbackTokenTtlSec: number;
  /** The playback token minted: compact (tgp1.…, default) or its JWT form; the gateway accepts both. */
  readonly playbackTokenFormat: 'compact' | 'jwt';
  /** A stream with no sign of life (heartbeat, manifest, key, license) for this long stops counting and stops playing. */
  readonly streamLeaseSec: number;
  /** How long a confirmed entitlement is trusted while change notices arrive (catalog/entitlement-cache.ts). */
  readonly entitlementCacheSec: number;
  /** How long ended playback sessions and ended logins are kept before they are deleted. */
  readonly pruneRetentionSec: number;
  /** How often each instance deletes them. */
  readonly pruneIntervalSec: number;
  /** Bind playback tokens to the client's address: off, exact, or its /24 (IPv4) or /64 (IPv6). */
  readonly bindIp: BindIp;
  /** The operator's MaxMind country database (.mmdb); undefined = the CC0 one shipped through npm. */
  readonly geoipDb: string | undefined;
  /** An ASN .mmdb database for the network of events and detectors (none by default). */
  readonly asnDb: string | undefined;
  readonly playbackBindUserAgent: boolean;
  /** Memory for packaged media files the gateway keeps in memory, in MiB. */
  readonly mediaCacheMb: number;
  /** A remote license server (another Tollgate's POST /v1/license/clearkey); unset = in-process. */
  readonly licenseServerUrl: string | undefined;
  /** How long the whole exchange with a remote license server may take. */
  readonly licenseServerTimeoutMs: number;
  /** Request rate limits per address, user and session (src/server/http/rate-limit.ts). */
  readonly rateLimits: RateLimits;
  /** Upstream license services for commercial DRM systems (Axinom's message convention). */
  readonly upstream:
    | { readonly urls: Partial<Record<'widevine' | 'playready' | 'fairplay', string>>; readonly comKeyId: string; readonly comKey: Uint8Array }
    | undefined;
  /** Bound on each PostgreSQL connect, pool wait and statement, in ms. */
  readonly databaseTimeoutMs: number;
  /** Bound on each Redis connect and command, in ms. */
  readonly redisTimeoutMs: number;
  /** /readyz answers "not ready" when a store has not answered within this, in ms. */
  readonly readinessTimeoutMs: number;
  /** /readyz answers "not ready" when the data directory's disk has less free space, in MiB. */
  readonly diskMinFreeMb: number;
  /** Decision events (monitor/events.ts): recording, storage, sharing, SIEM. */
  readonly events: EventSettings;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
  /** Limits of the HTTP server's connections (applied by app.ts). */
  readonly http: HttpLimits;
  /** Detectors, alerts and the alert webhook (monitor/watchtower-config.ts). */
  readonly watchtower: WatchtowerConfig;
  /** The HMAC 256/256 key of the TS 104 002 WM tokens of watermarked titles; none: no WM tokens. */
  readonly wmTokenKey: Uint8Array | undefined;
  /** Edge tokens, X-Accel-Redirect and origin protection (src/server/edge/edge-settings.ts). */
  readonly serving: ServingSettings;
}

export type BindIp = 'off' | 'exact' | 'prefix';
const BIND_IP: readonly BindIp[] = ['off', 'exact', 'prefix'];
export interface EventSettings {
  /** Off: nothing is recorded (for comparison benchmarks; detectors then see nothing). */
  readonly enabled: boolean;
  /** Events older than this many days are deleted by the pruner. */
  readonly retentionDays: number;
  /** Segment requests and session-less denials are summarised per this many seconds. */
  readonly summarySec: number;
  /** Where each event also goes as one ECS JSON line: 'stdout', a file path, or nowhere. */
  readonly siem: 'stdout' | { readonly file: string } | undefined;
}

export interface HttpLimits {
  /** An idle keep-alive connection is closed after this; longer than a load balancer's idle timeout. */
  readonly keepAliveTimeoutSec: number;
  /** The request line and headers must arrive within this. */
  readonly headersTimeoutSec: number;
  /** The whole request, body included, must arrive within this (slow-body clients are cut). */
  readonly requestTimeoutSec: number;
  /** Connections beyond this many are closed on arrival; 0 = no cap. */
  readonly maxConnections: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Hole 4: instances sharing a database but each keeping hot state in memory would each accept
 * a single-use entitlement message once and ignore each other's logouts and session ends.
 */
const REDIS_PREFIX = /^[A-Za-z0-9._:-]{1,64}$/;

export const SHARED_STATE_PROBLEM =
  'TOLLGATE_DATABASE_URL is set without TOLLGATE_REDIS_URL: instances sharing this database would not share ' +
  'single-use license messages, logouts or ended sessions. Set TOLLGATE_REDIS_URL (or TOLLGATE_REDIS_CLUSTER_NODES), or TOLLGATE_SINGLE_INSTANCE=true ' +
  'if only one instance ever uses this database';

/** Reads and validates the TOLLGATE_* variables; throws ConfigError listing every bad one. */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  return readConfig(env, overrides).config;
}

/** loadConfig, plus one line per thing worth telling the operator (unknown or risky settings). */
export function readConfig(env: Env = process.env, overrides: Partial<Config> = {}): { config: Config; warnings: string[] } {
  const problems: string[] = [];
  const read = new Reader(env, problems);

  const host = read.string('TOLLGATE_HOST', '127.0.0.1');
  const port = read.integer('TOLLGATE_PORT', 8080, 0, 65535);
  const listenHost = overrides.host ?? host;
  const listenPort = overrides.port ?? port;
  const tls = readTls(read, problems);
  const scheme = (overrides.tls ?? tls) === undefined ? 'http' : 'https';
  const publicUrl = read.url('TOLLGATE_PUBLIC_URL', `${scheme}://${reachableHost(listenHost)}:${listenPort}`, ['http:', 'https:']);
  const databaseUrl = read.optionalUrl('TOLLGATE_DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = read.optionalUrl('TOLLGATE_REDIS_URL', ['redis:', 'rediss:']);
  const redisClusterNodes = read.redisClusterNodes('TOLLGATE_REDIS_CLUSTER_NODES');
  if (redisUrl !== undefined && redisClusterNodes.length > 0) problems.push('TOLLGATE_REDIS_URL and TOLLGATE_REDIS_CLUSTER_NODES: set one (a server, or a cluster), not both');
  const singleInstance = read.oneOf('TOLLGATE_SINGLE_INSTANCE', 'false', ['true', 'false'] as const) === 'true';
  const adminToken = read.optional('TOLLGATE_ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 16) {
    problems.push('TOLLGATE_ADMIN_TOKEN: must be at least 16 characters (use a long random value)');
  }
  const masterKey = read.masterKey('TOLLGATE_MASTER_KEY');
  const corsOrigins = read.list('TOLLGATE_CORS_ORIGINS').map((o) => o.replace(/\/$/, ''));
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/]+$/.test(origin)) {
      problems.push(`TOLLGATE_CORS_ORIGINS: "${origin}" is not an origin like https://player.example.com`);
    }
  }
  const trustProxy = read.list('TOLLGATE_TRUST_PROXY');
  for (const entry of trustProxy) {
    const [addr, bits, extra] = entry.split('/');
    const family = isIP(addr ?? '');
    const maxBits = family === 6 ? 128 : 32;
    const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !bitsOk || extra !== undefined) {
      problems.push(`TOLLGATE_TRUST_PROXY: "${entry}" is not an IP address or CIDR range`);
    }
  }
  const logLevel = read.oneOf('TOLLGATE_LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'silent'] as const);

  const config: Config = {
    host,
    port,
    tls,
    publicUrl: publicUrl.replace(/\/$/, ''),
    dataDir: resolve(read.string('TOLLGATE_DATA_DIR', './data')),
    databaseUrl,
    redisUrl,
    redisClusterNodes,
    redisPrefix: read.string('TOLLGATE_REDIS_PREFIX', 'tollgate:'),
    singleInstance,
    adminToken,
    masterKey,
    corsOrigins,
    trustProxy,
    accessTokenTtlSec: read.integer('TOLLGATE_ACCESS_TOKEN_TTL', 600, 60, 900),
    clockSkewSec: read.integer('TOLLGATE_CLOCK_SKEW_SECONDS', 30, 0, 300),
    refreshFamilyTtlSec: read.integer('TOLLGATE_REFRESH_TOKEN_TTL', 30 * 86400, 3600, 365 * 86400),
    refreshReuseGraceSec: read.integer('TOLLGATE_REFRESH_REUSE_GRACE', 30, 0, 300),
    signingAlg: read.oneOf('TOLLGATE_SIGNING_ALG', 'EdDSA', ['EdDSA', 'ES256'] as const),
    loginMaxFailuresPerAccount: read.integer('TOLLGATE_LOGIN_MAX_FAILURES_PER_ACCOUNT', 10, 1, 1000),
    loginMaxFailuresPerAddress: read.integer('TOLLGATE_LOGIN_MAX_FAILURES_PER_ADDRESS', 100, 1, 100000),
    loginFailureWindowSec: read.integer('TOLLGATE_LOGIN_FAILURE_WINDOW', 900, 10, 86400),
    loginMaxFailuresPerAccountTotal: read.integer('TOLLGATE_LOGIN_MAX_FAILURES_PER_ACCOUNT_TOTAL', 100, 1, 1_000_000),
    // argon2 shares libuv's thread pool (UV_THREADPOOL_SIZE, default 4) with media file reads.
    loginConcurrency: read.integer('TOLLGATE_LOGIN_CONCURRENCY', Math.max(1, threadPoolSize(env) - 2), 1, 1024),
    loginQueue: read.integer('TOLLGATE_LOGIN_QUEUE', 64, 0, 100_000),
    tokenMode: read.oneOf('TOLLGATE_TOKEN_MODE', 'path', ['path', 'query', 'cookie'] as const),
    playbackTokenTtlSec: read.integer('TOLLGATE_PLAYBACK_TOKEN_TTL', 6 * 3600, 60, 48 * 3600),
    playbackTokenFormat: read.oneOf('TOLLGATE_PLAYBACK_TOKEN_FORMAT', 'compact', ['compact', 'jwt'] as const),
    streamLeaseSec: read.integer('TOLLGATE_STREAM_LEASE_SECONDS', 60, 1, 86400),
    entitlementCacheSec: read.integer('TOLLGATE_ENTITLEMENT_CACHE_SECONDS', 30, 0, 3600),
    pruneRetentionSec: read.integer('TOLLGATE_PRUNE_RETENTION', 7 * 86400, 0, 3650 * 86400),
    pruneIntervalSec: read.integer('TOLLGATE_PRUNE_INTERVAL', 300, 10, 86400),
    bindIp: read.oneOf('TOLLGATE_BIND_IP', read.oneOf(DEPRECATED_BIND_IP, 'prefix', BIND_IP), BIND_IP),
    geoipDb: optionalPath(read.optional('TOLLGATE_GEOIP_DB')),
    asnDb: optionalPath(read.optional('TOLLGATE_ASN_DB')),
    playbackBindUserAgent: read.oneOf('TOLLGATE_PLAYBACK_BIND_UA', 'false', ['true', 'false'] as const) === 'true',
    mediaCacheMb: read.integer('TOLLGATE_MEDIA_CACHE_MB', 256, 0, 65536),
    licenseServerUrl: read.optionalUrl('TOLLGATE_LICENSE_SERVER_URL', ['http:', 'https:']),
    licenseServerTimeoutMs: read.integer('TOLLGATE_LICENSE_SERVER_TIMEOUT_MS', 5000, 100, 60_000),
    rateLimits: read.rateLimits(),
    upstream: read.upstream(),
    databaseTimeoutMs: read.integer('TOLLGATE_DATABASE_TIMEOUT_MS', 3_000, 100, 600_000),
    redisTimeoutMs: read.integer('TOLLGATE_REDIS_TIMEOUT_MS', 1_000, 50, 60_000),
    readinessTimeoutMs: read.integer('TOLLGATE_READINESS_TIMEOUT_MS', 1_500, 50, 60_000),
    diskMinFreeMb: read.integer('TOLLGATE_DISK_MIN_FREE_MB', 64, 0, 1_048_576),
    events: readEventSettings(read),
    logLevel,
    http: read.httpLimits(),
    watchtower: readWatchtowerConfig(read, problems),
    wmTokenKey: read.masterKey('TOLLGATE_WM_TOKEN_KEY'),
    serving: readServingSettings(read, problems),
    ...overrides,
  };
  const sharedHotState = config.redisUrl !== undefined || config.redisClusterNodes.length > 0;
  if (config.databaseUrl !== undefined && !sharedHotState && !config.singleInstance) problems.push(SHARED_STATE_PROBLEM);
  if (!REDIS_PREFIX.test(config.redisPrefix)) problems.push('TOLLGATE_REDIS_PREFIX: 1-64 letters, digits and . _ : - (no braces: they would change the Redis Cluster hash slot)');
  if (problems.length > 0) throw new ConfigError(problems);
  const warnings = unknownSettingWarnings(env, read.names);
  if (read.optional(DEPRECATED_BIND_IP) !== undefined) {
    warnings.push(`${DEPRECATED_BIND_IP} is deprecated: use TOLLGATE_BIND_IP${read.optional('TOLLGATE_BIND_IP') === undefined ? '' : ', which is also set and wins'}`);
  }
  if (isWildcard(listenHost) && read.optional('TOLLGATE_PUBLIC_URL') === undefined) {
    warnings.push(
      `TOLLGATE_HOST=${listenHost} listens on every interface, but URLs handed to players say ${config.publicUrl}: ` +
        'set TOLLGATE_PUBLIC_URL to the address clients reach',
    );
  }
  return { config: Object.freeze(config), warnings };
}

/** The first name of TOLLGATE_BIND_IP, still read (with a warning) when the new name is unset. */
const DEPRECATED_BIND_IP = 'TOLLGATE_PLAYBACK_BIND_IP';

function optionalPath(path: string | undefined): string | undefined {
  return path === undefined ? undefined : resolve(path);
}

function readEventSettings(read: Reader): EventSettings {
  const siem = read.optional('TOLLGATE_EVENTS_SIEM');
  return {
    enabled: read.oneOf('TOLLGATE_EVENTS', 'on', ['on', 'off'] as const) === 'on',
    retentionDays: read.integer('TOLLGATE_EVENTS_RETENTION_DAYS', 30, 1, 3650),
    summarySec: read.integer('TOLLGATE_EVENTS_SUMMARY_SECONDS', 10, 1, 300),
    siem: siem === undefined ? undefined : siem === 'stdout' ? 'stdout' : { file: resolve(siem) },
  };
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** A host to put in URLs: a wildcard listen address is not one a browser can reach. */
export function reachableHost(listenHost: string): string {
  if (isWildcard(listenHost)) return 'localhost';
  return listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost;
}

/** libuv's thread pool size as Node will use it: UV_THREADPOOL_SIZE, 4 by default, at most 1024. */
function threadPoolSize(env: Env): number {
  const n = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
}
