/**
 * HotState on Redis, shared by every instance.
 *
 * Keys are `<prefix>{<key>}:<kind>`: the prefix keeps Tollgate apart from other users of the
 * server, and the hash tag puts every kind of one key in the same cluster slot. Each operation
 * is a single atomic command or Lua script, so concurrent instances never race: a replayed
 * one-time id is accepted once (SET NX PX), and a counter never loses its expiry (INCR and
 * PEXPIRE in one script).
 *
 * Expiry runs on the Redis clock, the one clock all instances share, so the `now` arguments
 * are not used here; windows and TTLs are still measured from the first hit or the mark.
 *
 * Outages: a command that fails for want of a server (disconnected, timed out, the server
 * loading, read-only or out of memory) throws StoreUnavailableError, so callers fail closed
 * with 503. After such a failure every command fails at once while a PING probes the server
 * every PROBE_EVERY_MS: a frozen Redis costs one timeout, not one per command of a request.
 * Each reconnect bumps generation(): the server may have come back empty.
 * Change notices (notices.ts) go over pub/sub on a second connection.
 * One-time ids also hold across the loss of Redis's data, through the epoch (epoch.ts).
 */
import { ReplyError } from 'ioredis';
import type { HotState, OnceResult } from '../../../core/ports.js';
import { guardStore, StoreUnavailableError } from '../unavailable.js';
import { onConnectionChange, type RedisClient } from './client.js';
import { RedisEpochs } from './epoch.js';
import { RedisNotices } from './notices.js';
import { RedisStreamLeases } from './stream-leases.js';

const PROBE_EVERY_MS = 200;

/** Replies of a server that is up but cannot serve; any other reply error is a bug of ours. */
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|OOM|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS)\b/;

export function isRedisOutage(error: unknown): boolean {
  if (error instanceof ReplyError) return UNAVAILABLE_REPLY.test((error as Error).message);
  // ioredis reports a lost, refused or timed-out connection as a plain Error; a TypeError or
  // RangeError is a bug of ours and stays a 500.
  return error instanceof Error && !(error instanceof TypeError) && !(error instanceof RangeError);
}

const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

// The limit check and the count in one script, so parallel instances cannot all pass it.
const RESERVE_SCRIPT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[2]) then return {0, count, redis.call('PTTL', KEYS[1])} end
count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {1, count, ttl}`;

// DECR keeps the key's TTL; the check keeps a counter from going below zero.
const RELEASE_SCRIPT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return 0`;

// The use and the epoch that guards it, read together on the one server holding both (one
// slot on a cluster): if the data was flushed before, the epoch key is gone or another's.
const ONCE_SCRIPT = `
local set = redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX')
return {set and 1 or 0, redis.call('GET', KEYS[2]) or ''}`;

type Client = RedisClient & {
  tollgateHit(key: string, windowMs: number): Promise<[number, number]>;
  tollgateReserve(key: string, windowMs: number, limit: number): Promise<[number, number, number]>;
  tollgateRelease(key: string): Promise<number>;
  tollgateOnce(key: string, epochKey: string, ttlMs: number): Promise<[number, string]>;
};

/** Redis rejects PX 0 and fractions. */
const px = (ms: number): number => Math.max(1, Math.ceil(ms));

export class RedisHotState implements HotState {
  readonly #redis: Client;
  readonly #prefix: string;
  #generation = 0;
  /** Set while the server is failing: commands fail fast until a probe PING succeeds. */
  #failing: StoreUnavailableError | undefined;
  #closed = false;
  readonly #epochs: RedisEpochs;
  readonly leases: RedisStreamLeases;
  readonly notices: RedisNotices;

  /** Takes ownership of the client (one server or a cluster): close() quits it. */
  constructor(redis: RedisClient, prefix = 'tollgate:') {
    // defineCommand sends EVALSHA and falls back to EVAL once per script load.
    redis.defineCommand('tollgateHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    redis.defineCommand('tollgateReserve', { numberOfKeys: 1, lua: RESERVE_SCRIPT });
    redis.defineCommand('tollgateRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    redis.defineCommand('tollgateOnce', { numberOfKeys: 2, lua: ONCE_SCRIPT });
    this.#redis = redis as Client;
    this.#prefix = prefix;
    this.#epochs = new RedisEpochs(redis, prefix);
    this.leases = new RedisStreamLeases(redis, prefix, (command) => this.#run(command), (key) => this.epochStartedAt(key));
    this.notices = new RedisNotices(redis, redis.duplicate(), prefix, (command) => this.#run(command));
    // Bumped when the connection closes (marks written from now on may fail) and again when it
    // is ready (the server answering may have restarted empty): a reader that checked the
    // database in between still re-checks once Redis is back. On a cluster, any node's.
    onConnectionChange(redis, () => (this.#generation += 1));
  }

  generation(): number {
    return this.#generation;
  }

  /** Reads (or starts) every epoch: on opening, before this instance mints anything. */
  async startEpochs(): Promise<void> {
    await this.#run(() => this.#epochs.readAll());
  }

  /** Reads (or starts) the epoch guarding the Redis key `key`; Unix ms since when its data is known. */
  async epochStartedAt(key = ''): Promise<number> {
    return (await this.#run(() => this.#epochs.current(key))).startedAt;
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }> {
    const [count, resetInMs] = await this.#run(() => this.#redis.tollgateHit(this.#key(key, 'hit'), px(windowMs)));
    return { count, resetInMs };
  }

  async reserve(key: string, limit: number, windowMs: number): Promise<{ taken: boolean; count: number; resetInMs: number }> {
    const [taken, count, resetInMs] = await this.#run(() => this.#redis.tollgateReserve(this.#key(key, 'hit'), px(windowMs), limit));
    return { taken: taken === 1, count, resetInMs };
  }

  async release(key: string): Promise<void> {
    await this.#run(() => this.#redis.tollgateRelease(this.#key(key, 'hit')));
  }

  async clear(key: string): Promise<void> {
    await this.#run(() => this.#redis.del(this.#key(key, 'hit')));
  }

  async mark(key: string, ttlMs: number): Promise<void> {
    await this.#run(() => this.#redis.set(this.#key(key, 'mark'), '1', 'PX', px(ttlMs)));
  }

  async isMarked(key: string): Promise<boolean> {
    return (await this.#run(() => this.#redis.exists(this.#key(key, 'mark')))) === 1;
  }

  async consumeOnce(key: string, ttlMs: number, _now: number, issuedAt: number): Promise<OnceResult> {
    const once = this.#key(key, 'once');
    const generation = this.#epochs.generation;
    const epoch = await this.#run(() => this.#epochs.current(once));
    if (issuedAt < epoch.startedAt) return 'unknown';
    const [set, marker] = await this.#run(() => this.#redis.tollgateOnce(once, this.#epochs.keyFor(once), px(ttlMs)));
    if (marker !== epoch.value || generation !== this.#epochs.generation) {
      this.#epochs.forget(once);
      return 'unknown';
    }
    return set === 1 ? 'first' : 'used';
  }

  async ping(): Promise<void> {
    await this.#run(() => this.#redis.ping());
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.notices.close();
    // QUIT needs a server that answers; without one, stop reconnecting so the process can exit.
    if (this.#redis.status !== 'ready') return this.#redis.disconnect();
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    if (this.#failing !== undefined) throw this.#failing;
    try {
      return await guardStore('Redis', isRedisOutage, command);
    } catch (error) {
      if (error instanceof StoreUnavailableError && this.#failing === undefined) this.#probe(error);
      throw error;
    }
  }

  #probe(failure: StoreUnavailableError): void {
    this.#failing = failure;
    // A frozen server closes no connection, yet notices sent meanwhile may be lost: distrust
    // them while it fails, and forget what they would have corrected once it answers again.
    this.notices.disturbed();
    const again = () => {
      if (this.#closed) return;
      this.#redis.ping().then(
        () => {
          this.#failing = undefined;
          this.notices.disturbed();
        },
        () => {
          this.notices.disturbed();
          setTimeout(again, PROBE_EVERY_MS).unref();
        },
      );
    };
    again();
  }

  #key(key: string, kind: string): string {
    return `${this.#prefix}{${key}}:${kind}`;
  }
}
