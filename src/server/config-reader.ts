/**
 * Reads TOLLGATE_* settings for config.ts: each reader validates one variable, records a
 * problem naming it when its value is bad (never echoing a secret), and returns a fallback so
 * every problem is reported at once. It also records the names it was asked for, so unknown
 * TOLLGATE_* variables (misspellings) can be pointed out.
 */
import { SETTINGS_READ_ELSEWHERE } from './config-names.js';
import type { Config, Env, HttpLimits } from './config.js';
import type { RateLimits } from './http/rate-limit.js';

export class Reader {
  /** Every setting name this build knows, so unknown TOLLGATE_* variables can be pointed out. */
  readonly names = new Set<string>(SETTINGS_READ_ELSEWHERE);

  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  optional(name: string): string | undefined {
    this.names.add(name);
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.optional(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const text = this.optional(name);
    if (text === undefined) return fallback;
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${name}: "${text}" must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const text = this.optional(name);
    if (text === undefined) return fallback;
    if ((allowed as readonly string[]).includes(text)) return text as T;
    this.problems.push(`${name}: "${text}" must be one of ${allowed.join(', ')}`);
    return fallback;
  }

  list(name: string): string[] {
    return (this.optional(name) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  }

  /**
   * Redis Cluster nodes: comma-separated redis:// or rediss:// URLs, all with one scheme and
   * one credential (a cluster has one), never with a password in the message.
   */
  redisClusterNodes(name: string): string[] {
    const nodes = this.list(name);
    const parsed = nodes.map((text) => URL.canParse(text) ? new URL(text) : undefined);
    if (parsed.some((u) => u === undefined || !['redis:', 'rediss:'].includes(u.protocol) || u.hostname === '')) {
      this.problems.push(`${name}: a comma-separated list of redis:// or rediss:// URLs of cluster nodes`);
      return [];
    }
    const access = (u: URL) => `${u.protocol}${u.username}:${u.password}`;
    if (new Set(parsed.map((u) => access(u!))).size > 1) {
      this.problems.push(`${name}: every node needs the same scheme, user name and password`);
      return [];
    }
    return nodes;
  }

  url(name: string, fallback: string, protocols: readonly string[]): string {
    return this.optionalUrl(name, protocols) ?? fallback;
  }

  optionalUrl(name: string, protocols: readonly string[]): string | undefined {
    const text = this.optional(name);
    if (text === undefined) return undefined;
    try {
      const url = new URL(text);
      if (protocols.includes(url.protocol)) return text;
    } catch {
      // reported below
    }
    this.problems.push(`${name}: not a valid ${protocols.map((p) => p.replace(':', '')).join('/')} URL`);
    return undefined;
  }

  /** Requests per window; 0 turns a limit off. Defaults are far above what players and operators do. */
  rateLimits(): RateLimits {
    const perWindow = (name: string, fallback: number) => this.integer(name, fallback, 0, 1_000_000);
    return Object.freeze({
      windowSec: this.integer('TOLLGATE_RATE_WINDOW', 60, 1, 3600),
      refreshPerAddress: perWindow('TOLLGATE_RATE_REFRESH_PER_ADDRESS', 600),
      playbackPerUser: perWindow('TOLLGATE_RATE_PLAYBACK_PER_USER', 60),
      playbackPerAddress: perWindow('TOLLGATE_RATE_PLAYBACK_PER_ADDRESS', 600),
      licensePerSession: perWindow('TOLLGATE_RATE_LICENSE_PER_SESSION', 120),
      licensePerAddress: perWindow('TOLLGATE_RATE_LICENSE_PER_ADDRESS', 3000),
      adminPerAddress: perWindow('TOLLGATE_RATE_ADMIN_PER_ADDRESS', 1200),
      adminFailuresPerAddress: this.integer('TOLLGATE_ADMIN_MAX_FAILURES_PER_ADDRESS', 20, 0, 100_000),
      adminFailureWindowSec: this.integer('TOLLGATE_ADMIN_FAILURE_WINDOW', 900, 10, 86400),
    });
  }

  httpLimits(): HttpLimits {
    const limits = {
      // 65 s outlasts the 60 s idle timeout of common load balancers (AWS ALB, nginx), so the
      // balancer, not Tollgate, closes an idle connection and never reuses one Tollgate closed.
      keepAliveTimeoutSec: this.integer('TOLLGATE_HTTP_KEEP_ALIVE_TIMEOUT', 65, 1, 3600),
      headersTimeoutSec: this.integer('TOLLGATE_HTTP_HEADERS_TIMEOUT', 20, 1, 3600),
      requestTimeoutSec: this.integer('TOLLGATE_HTTP_REQUEST_TIMEOUT', 30, 1, 3600),
      maxConnections: this.integer('TOLLGATE_HTTP_MAX_CONNECTIONS', 10_000, 0, 1_000_000),
    };
    if (limits.headersTimeoutSec > limits.requestTimeoutSec) {
      this.problems.push('TOLLGATE_HTTP_HEADERS_TIMEOUT: must not be longer than TOLLGATE_HTTP_REQUEST_TIMEOUT');
    }
    return limits;
  }

  /** TOLLGATE_DRM_<SYSTEM>_URL plus the communication key shared with that service. */
  upstream(): Config['upstream'] {
    const urls: Record<string, string> = {};
    for (const system of ['widevine', 'playready', 'fairplay']) {
      const url = this.optionalUrl(`TOLLGATE_DRM_${system.toUpperCase()}_URL`, ['http:', 'https:']);
      if (url !== undefined) urls[system] = url;
    }
    this.names.add('TOLLGATE_DRM_COM_KEY_ID').add('TOLLGATE_DRM_COM_KEY');
    if (Object.keys(urls).length === 0) return undefined;
    const comKeyId = this.optional('TOLLGATE_DRM_COM_KEY_ID');
    const comKey = this.masterKey('TOLLGATE_DRM_COM_KEY');
    if (comKeyId === undefined || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(comKeyId) || comKey === undefined) {
      this.problems.push('TOLLGATE_DRM_COM_KEY_ID (a UUID) and TOLLGATE_DRM_COM_KEY (32 bytes) are needed with an upstream DRM URL');
      return undefined;
    }
    return { urls, comKeyId, comKey };
  }

  /** 32 bytes as 64 hex digits or base64/base64url. The value itself never appears in a message. */
  masterKey(name: string): Uint8Array | undefined {
    const text = this.optional(name);
    if (text === undefined) return undefined;
    const bytes = /^[0-9a-fA-F]{64}$/.test(text)
      ? Buffer.from(text, 'hex')
      : /^[A-Za-z0-9+/_-]{43}=?$/.test(text)
        ? Buffer.from(text, 'base64')
        : undefined;
    if (bytes?.length !== 32) {
      this.problems.push(`${name}: must be 32 random bytes as 64 hex digits or base64 (e.g. openssl rand -base64 32)`);
      return undefined;
    }
    return new Uint8Array(bytes);
  }
}
