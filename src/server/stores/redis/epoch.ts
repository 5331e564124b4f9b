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
import { keySlot, slotTag } from './slots.js';

/** Epochs per script when a cluster instance starts: small enough to answer within the command timeout. */
const NODE_BATCH = 512;

// The epoch in one key, given the run_id of the server running the script.
const EPOCH_OF = `
local function epochOf(key, runId)
  local current = redis.call('GET', key)
  if current and string.sub(current, string.find(current, ':', 1, true) + 1) == runId then
    return current
  end
  local now = redis.call('TIME')
  local value = (tonumber(now[1]) + 1) .. ':' .. runId
  redis.call('SET', key, value)
  return value
end
local runId = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
`;

// INFO inside the script: the run_id and the epoch come from one server, atomically.
const EPOCH_SCRIPT = `${EPOCH_OF}
return epochOf(KEYS[1], runId)`;

// Every slot a cluster node serves at once, one INFO for all (INFO is most of an epoch read's
// cost). The keys (ARGV) span slots of the node that KEYS[1], the first of them, routes to:
// a cluster refuses declared keys of several slots, and Redis 7's script flag lets the script
// touch the others on its node.
const NODE_EPOCHS_SCRIPT = `#!lua flags=allow-cross-slot-keys
${EPOCH_OF}
local values = {}
for i, key in ipairs(ARGV) do values[i] = epochOf(key, runId) end
return values`;

type Client = RedisClient & { tollgateEpoch(key: string): Promise<string>; tollgateNodeEpochs(first: string, ...keys: string[]): Promise<string[]> };

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
    redis.defineCommand('tollgateNodeEpochs', { numberOfKeys: 1, lua: NODE_EPOCHS_SCRIPT });
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
   * the one of a server, or all 16384 of a cluster, one script per node.
   */
  async readAll(): Promise<void> {
    if (this.#redis.isCluster) {
      for (const slots of await this.#slotsByNode()) await this.#readNode(slots);
    }
    await this.current('');
  }

  /** The slots each cluster node serves, as the cluster says now. */
  async #slotsByNode(): Promise<number[][]> {
    const byNode = new Map<string, number[]>();
    for (const [from, to, [host, port] = []] of await this.#redis.cluster('SLOTS')) {
      const node = `${host}:${port}`;
      const slots = byNode.get(node) ?? [];
      for (let slot = from; slot <= to; slot++) slots.push(slot);
      byNode.set(node, slots);
    }
    return [...byNode.values()];
  }

  async #readNode(slots: readonly number[]): Promise<void> {
    for (let from = 0; from < slots.length; from += NODE_BATCH) {
      const keys = slots.slice(from, from + NODE_BATCH).map((slot) => this.keyFor(`{${slotTag(slot)}}`));
      const generation = this.#generation;
      // Slots moving meanwhile (a resharding) fail the script, and with it this start.
      const values = await this.#redis.tollgateNodeEpochs(keys[0]!, ...keys);
      if (generation !== this.#generation) return;
      for (const [i, value] of values.entries()) this.#current.set(keys[i]!, Promise.resolve(toEpoch(value)));
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
      if (generation === this.#generation) return toEpoch(value);
    }
  }
}

function toEpoch(value: string): Epoch {
  return { value, startedAt: Number(value.slice(0, value.indexOf(':'))) * 1000 };
}
