/**
 * The hot-state epoch on Redis: since when the Redis server holding a key has held its data.
 * Threat: a single-use id (an entitlement message's jti) accepted twice because the record of
 * its first use was lost — Redis restarted empty, was flushed, or failed over to a replica
 * that had not yet received the write (replication is asynchronous; acknowledged writes can be
 * lost). Rather than a durable write per use, every one-time id issued before the current
 * epoch began is refused as 'unknown'; ids live seconds, so only in-flight ones are refused,
 * and the entitlement proxy mints a fresh message on the player's retry.
 *
 * An epoch is a key "<start, Unix s>:<run_id>", where run_id is the Redis process that holds
 * it. One server has one, `<prefix>{hot-epoch}:epoch`. A Redis Cluster has one per hash slot,
 * `<prefix>{<tag>}:epoch` with a tag of that slot (slots.ts), so a key and the epoch that
 * guards it are on one node, in one slot, readable by one script, whatever node serves the
 * slot (a slot moved to another node gets a new epoch there). An instance reads an epoch
 * (creating it when missing) once per connection, and the script starts a new one when the
 * key is missing (a restart without persistence, a flush) or names another run_id (a restart,
 * or a failover: the promoted replica is another process even though it has a replicated copy
 * of the key). A new epoch starts at the next second on Redis's clock, so every id issued in
 * or before the second the loss was noticed is refused (one-time ids carry whole seconds);
 * instance clocks must agree with Redis's within the clock-skew bound, as for tokens.
 */
import { onConnectionChange, type RedisClient } from './client.js';
import { keySlot, SLOTS, slotTag } from './slots.js';

/** Epochs read at once when a cluster instance starts. */
const READ_BATCH = 1_024;

// INFO inside the script: the run_id and the epoch come from one server, atomically.
const EPOCH_SCRIPT = `
local runId = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, string.find(current, ':', 1, true) + 1) == runId then
  return current
end
local now = redis.call('TIME')
local value = (tonumber(now[1]) + 1) .. ':' .. runId
redis.call('SET', KEYS[1], value)
return value`;

type Client = RedisClient & { tollgateEpoch(key: string): Promise<string> };

export interface Epoch {
  /** The key's value, compared on every use to notice a flush or failover in between. */
  readonly value: string;
  /** Unix ms: one-time ids issued before this may have been forgotten. */
  readonly startedAt: number;
}

export class RedisEpochs {
  readonly #redis: Client;
  readonly #prefix: string;
  /** Counts closed connections: a use that spans a reconnection cannot trust what it read. */
  #generation = 0;
  /** By epoch key; emptied whenever a connection closes. */
  readonly #current = new Map<string, Promise<Epoch>>();

  constructor(redis: RedisClient, prefix: string) {
    redis.defineCommand('tollgateEpoch', { numberOfKeys: 1, lua: EPOCH_SCRIPT });
    this.#redis = redis as Client;
    this.#prefix = prefix;
    onConnectionChange(redis, (event) => {
      if (event !== 'close') return;
      this.#generation += 1;
      this.#current.clear();
    });
  }

  get generation(): number {
    return this.#generation;
  }

  /** The key of the epoch that guards the Redis key `key`. */
  keyFor(key: string): string {
    return this.#redis.isCluster ? `${this.#prefix}{${slotTag(keySlot(key))}}:epoch` : `${this.#prefix}{hot-epoch}:epoch`;
  }

  /** The epoch guarding `key` on the server behind the current connection, read once per connection. */
  current(key: string): Promise<Epoch> {
    const at = this.keyFor(key);
    let epoch = this.#current.get(at);
    if (epoch === undefined) {
      const read: Promise<Epoch> = this.#read(at).catch((error: unknown) => {
        if (this.#current.get(at) === read) this.#current.delete(at);
        throw error;
      });
      this.#current.set(at, read);
      epoch = read;
    }
    return epoch;
  }

  /**
   * Reads every epoch, so that each begins (when missing) before this instance mints anything:
   * the one of a server, or all 16384 of a cluster (once per instance start, in batches).
   */
  async readAll(): Promise<void> {
    if (!this.#redis.isCluster) return void (await this.current(''));
    for (let slot = 0; slot < SLOTS; slot += READ_BATCH) {
      await Promise.all(Array.from({ length: Math.min(READ_BATCH, SLOTS - slot) }, (_, i) => this.current(`{${slotTag(slot + i)}}`)));
    }
  }

  /** Forgets the epoch guarding `key`, so its next use reads it again (its key changed under us). */
  forget(key: string): void {
    this.#current.delete(this.keyFor(key));
  }

  async #read(at: string): Promise<Epoch> {
    for (;;) {
      const generation = this.#generation;
      const value = await this.#redis.tollgateEpoch(at);
      // An answer from before a reconnection may describe a server that is gone.
      if (generation === this.#generation) return { value, startedAt: Number(value.slice(0, value.indexOf(':'))) * 1000 };
    }
  }
}
