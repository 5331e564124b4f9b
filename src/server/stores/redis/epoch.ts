/**
 * The hot-state epoch on Redis: since when the Redis server this instance talks to has held
 * its data. Threat: a single-use id (an entitlement message's jti) accepted twice because the
 * record of its first use was lost — Redis restarted empty, was flushed, or failed over to a
 * replica that had not yet received the write (replication is asynchronous; acknowledged
 * writes can be lost). Rather than a durable write per use, every one-time id issued before
 * the current epoch began is refused as 'unknown'; ids live seconds, so only in-flight ones are
 * refused, and the entitlement proxy mints a fresh message on the player's retry.
 *
 * The epoch is one key, `<prefix>{hot-epoch}:epoch` = "<start, Unix s>:<run_id>", where run_id
 * is the Redis process that holds it. An instance reads it (creating it when missing) whenever
 * its connection (re)opens, and starts a new epoch when the key is missing (a restart without
 * persistence, a flush) or names another run_id (a restart, or a failover: the promoted replica
 * is another process even though it has a replicated copy of the key). A new epoch starts at
 * the next second on Redis's clock, so every id issued in or before the second the loss was
 * noticed is refused (one-time ids carry whole seconds); instance clocks must agree with
 * Redis's within the clock-skew bound, as for tokens.
 */
import type { Redis } from 'ioredis';

export const EPOCH_KEY_SUFFIX = '{hot-epoch}:epoch';

const EPOCH_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, string.find(current, ':', 1, true) + 1) == ARGV[1] then
  return current
end
local now = redis.call('TIME')
local value = (tonumber(now[1]) + 1) .. ':' .. ARGV[1]
redis.call('SET', KEYS[1], value)
return value`;

type Client = Redis & { tollgateEpoch(key: string, runId: string): Promise<string> };

export interface Epoch {
  /** The key's value, compared on every use to notice a flush or failover in between. */
  readonly value: string;
  /** Unix ms: one-time ids issued before this may have been forgotten. */
  readonly startedAt: number;
}

export class RedisEpoch {
  readonly #redis: Client;
  readonly key: string;
  /** Counts closed connections: a use that spans a reconnection cannot trust what it read. */
  #generation = 0;
  #current: Promise<Epoch> | undefined;

  constructor(redis: Redis, prefix: string) {
    redis.defineCommand('tollgateEpoch', { numberOfKeys: 1, lua: EPOCH_SCRIPT });
    this.#redis = redis as Client;
    this.key = `${prefix}${EPOCH_KEY_SUFFIX}`;
    redis.on('close', () => {
      this.#generation += 1;
      this.#current = undefined;
    });
  }

  get generation(): number {
    return this.#generation;
  }

  /** The epoch of the server behind the current connection, checked once per connection. */
  current(): Promise<Epoch> {
    this.#current ??= this.#read().catch((error: unknown) => {
      this.#current = undefined;
      throw error;
    });
    return this.#current;
  }

  /** Forgets the epoch, so the next use reads it again (its key changed under us). */
  forget(): void {
    this.#current = undefined;
  }

  async #read(): Promise<Epoch> {
    for (;;) {
      const generation = this.#generation;
      const runId = /run_id:([0-9a-f]+)/.exec(await this.#redis.info('server'))?.[1];
      if (runId === undefined) throw new Error('Redis INFO has no run_id');
      const value = await this.#redis.tollgateEpoch(this.key, runId);
      // Both answers must come from one connection, so from one server.
      if (generation === this.#generation) return { value, startedAt: Number(value.slice(0, value.indexOf(':'))) * 1000 };
    }
  }
}
