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
 * One-time ids also hold across the loss of Redis's data, through the epoch (epoch.ts).
 */
import type { Redis } from 'ioredis';
import type { HotState, OnceResult } from '../../../core/ports.js';
import { RedisEpoch } from './epoch.js';

const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

// GET and PTTL in one script, so a counter expiring in between cannot pair a count with no TTL.
const PEEK_SCRIPT = `
local count = redis.call('GET', KEYS[1])
if not count then return {0, 0} end
return {tonumber(count), redis.call('PTTL', KEYS[1])}`;

type Client = Redis & {
  tollgateHit(key: string, windowMs: number): Promise<[number, number]>;
  tollgatePeek(key: string): Promise<[number, number]>;
};

/** Redis rejects PX 0 and fractions. */
const px = (ms: number): number => Math.max(1, Math.ceil(ms));

export class RedisHotState implements HotState {
  readonly #redis: Client;
  readonly #prefix: string;
  readonly #epoch: RedisEpoch;

  /** Takes ownership of the client: close() quits it. */
  constructor(redis: Redis, prefix = 'tollgate:') {
    // defineCommand sends EVALSHA and falls back to EVAL once per script load.
    redis.defineCommand('tollgateHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    redis.defineCommand('tollgatePeek', { numberOfKeys: 1, lua: PEEK_SCRIPT });
    this.#redis = redis as Client;
    this.#prefix = prefix;
    this.#epoch = new RedisEpoch(redis, prefix);
  }

  /** Reads (or starts) the epoch of the server; Unix ms since when ids are known. */
  async epochStartedAt(): Promise<number> {
    return (await this.#epoch.current()).startedAt;
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }> {
    const [count, resetInMs] = await this.#redis.tollgateHit(this.#key(key, 'hit'), px(windowMs));
    return { count, resetInMs };
  }

  async peek(key: string): Promise<{ count: number; resetInMs: number }> {
    const [count, resetInMs] = await this.#redis.tollgatePeek(this.#key(key, 'hit'));
    return { count, resetInMs };
  }

  async clear(key: string): Promise<void> {
    await this.#redis.del(this.#key(key, 'hit'));
  }

  async mark(key: string, ttlMs: number): Promise<void> {
    await this.#redis.set(this.#key(key, 'mark'), '1', 'PX', px(ttlMs));
  }

  async isMarked(key: string): Promise<boolean> {
    return (await this.#redis.exists(this.#key(key, 'mark'))) === 1;
  }

  async consumeOnce(key: string, ttlMs: number, _now: number, issuedAt: number): Promise<OnceResult> {
    const generation = this.#epoch.generation;
    const epoch = await this.#epoch.current();
    if (issuedAt < epoch.startedAt) return 'unknown';
    // SET, then the epoch key, on one connection: if the data was flushed before or between
    // them, the epoch key is gone (or another server's) and the answer is 'unknown'.
    const [set, marker] = await Promise.all([
      this.#redis.set(this.#key(key, 'once'), '1', 'PX', px(ttlMs), 'NX'),
      this.#redis.get(this.#epoch.key),
    ]);
    if (marker !== epoch.value || generation !== this.#epoch.generation) {
      this.#epoch.forget();
      return 'unknown';
    }
    return set === 'OK' ? 'first' : 'used';
  }

  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  async close(): Promise<void> {
    await this.#redis.quit();
  }

  #key(key: string, kind: string): string {
    return `${this.#prefix}{${key}}:${kind}`;
  }
}
