/**
 * The event bus across instances, on a Redis Stream (the guarantee is in event-bus.ts).
 * Every instance appends its events (XADD, batched in a pipeline, the stream capped at about
 * STREAM_MAX_LENGTH entries). Each subscriber name is a consumer group, and at any time one
 * instance reads it: the one holding that name's lease (a key renewed while it reads, taken
 * over by another instance once it lapses). So a subscriber sees the events of every instance,
 * in stream order, in one process: a detector's window over an account or an address is
 * whole, not split between instances. The reader acknowledges each entry after observing it;
 * entries a reader took and left unacknowledged for `claimIdleMs` (its instance died) are
 * claimed with XAUTOCLAIM by the next. Stream and leases share one hash slot (`{events}`), so
 * this runs on a Redis Cluster as on one server.
 * Threat: Redis down or slow stalling requests or growing memory: publishing only buffers
 * (bounded, oldest dropped and counted); readers back off and retry.
 */
import type { DecisionEvent } from '../../core/events.js';
import type { RedisClient } from '../stores/redis/client.js';
import { busClient, type RedisTarget } from '../stores/redis/connect.js';
import type { EventBus, EventSubscriber, SubscriberErrorHandler } from './event-bus.js';

const STREAM_MAX_LENGTH = 100_000;
const FLUSH_MS = 50;
const BATCH = 200;
const MAX_BUFFERED = 20_000;
const READ_COUNT = 100;
const BLOCK_MS = 1_000;
const RETRY_MS = 500;
/** How long a reader's lease lasts unless renewed; it is renewed at least every third of it. */
const LEASE_MS = 5_000;

/** Takes the lease when free, renews it when ours; 1 when we hold it after. */
const LEAD = `local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
/** Gives the lease up when ours. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 0`;

export type RedisEventBusOptions = RedisTarget & {
  readonly prefix: string;
  /** Bound on each non-blocking command, ms. */
  readonly timeoutMs: number;
  /** An entry unacknowledged this long is taken over by another consumer. */
  readonly claimIdleMs?: number;
  /** How long a reader's lease lasts unless renewed, ms (LEASE_MS). */
  readonly leaseMs?: number;
  readonly onError: SubscriberErrorHandler;
};

type StreamEntry = [id: string, fields: string[]];

export class RedisEventBus implements EventBus {
  readonly #key: string;
  readonly #consumer = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  readonly #publisher: RedisClient;
  readonly #readers: RedisClient[] = [];
  readonly #leases: string[] = [];
  readonly #groupsReady: Promise<void>[] = [];
  #buffer: string[] = [];
  #flushing = false;
  #dropped = 0;
  #closed = false;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(private readonly options: RedisEventBusOptions) {
    this.#key = `${options.prefix}{events}:stream`;
    this.#publisher = this.#client(options.timeoutMs);
    this.#timer = setInterval(() => void this.#flush(), FLUSH_MS);
    this.#timer.unref();
  }

  publish(event: DecisionEvent): void {
    if (this.#closed) return;
    if (this.#buffer.length >= MAX_BUFFERED) {
      const dropped = Math.min(this.#buffer.length, BATCH);
      this.#buffer.splice(0, dropped);
      this.#dropped += dropped;
    }
    this.#buffer.push(JSON.stringify(event));
    if (this.#buffer.length >= BATCH) void this.#flush();
  }

  subscribe(subscriber: EventSubscriber): void {
    const reader = this.#client(this.options.timeoutMs + BLOCK_MS);
    this.#readers.push(reader);
    let ready!: () => void;
    this.#groupsReady.push(new Promise<void>((resolve) => (ready = resolve)));
    void this.#consume(subscriber, reader, ready);
  }

  /** Resolves once every subscriber's consumer group exists: events published from then on reach them. */
  async subscribed(): Promise<void> {
    await Promise.all(this.#groupsReady);
  }

  dropped(): number {
    return this.#dropped;
  }

  async close(): Promise<void> {
    await this.#flush();
    this.#closed = true;
    clearInterval(this.#timer);
    for (const reader of this.#readers) reader.disconnect();
    // Handing the leases back lets another instance read on at once instead of after they lapse.
    await Promise.all(this.#leases.map((lease) => this.#publisher.eval(RELEASE, 1, lease, this.#consumer).catch(() => undefined)));
    this.#publisher.disconnect();
  }

  #client(commandTimeout: number): RedisClient {
    return busClient(this.options, this.options.timeoutMs, commandTimeout);
  }

  /** Whether this instance holds (took or renewed) the lease to read `lease`'s group. */
  async #lead(reader: RedisClient, lease: string, leaseMs: number): Promise<boolean> {
    return (await reader.eval(LEAD, 1, lease, this.#consumer, leaseMs)) === 1;
  }

  async #flush(): Promise<void> {
    if (this.#flushing || this.#buffer.length === 0) return;
    this.#flushing = true;
    try {
      while (this.#buffer.length > 0) {
        const batch = this.#buffer.slice(0, BATCH);
        const pipeline = this.#publisher.pipeline();
        for (const json of batch) pipeline.xadd(this.#key, 'MAXLEN', '~', STREAM_MAX_LENGTH, '*', 'e', json);
        const results = await pipeline.exec();
        const failed = results?.find(([error]) => error !== null);
        if (failed) throw failed[0];
        const written = this.#buffer.indexOf(batch.at(-1)!) + 1;
        this.#buffer.splice(0, written);
      }
    } catch (error) {
      this.options.onError('publish', error); // kept; the next flush retries
    } finally {
      this.#flushing = false;
    }
  }

  async #consume(subscriber: EventSubscriber, reader: RedisClient, ready: () => void): Promise<void> {
    const group = subscriber.name;
    const claimIdleMs = this.options.claimIdleMs ?? 60_000;
    const leaseMs = this.options.leaseMs ?? LEASE_MS;
    const lease = `${this.options.prefix}{events}:reader:${group}`;
    this.#leases.push(lease);
    let groupExists = false;
    let claimedAt = 0;
    while (!this.#closed) {
      try {
        if (!groupExists) {
          await reader.xgroup('CREATE', this.#key, group, '$', 'MKSTREAM').catch((error: Error) => {
            if (!error.message.startsWith('BUSYGROUP')) throw error;
          });
          groupExists = true;
          ready();
        }
        // Renewed before every read, and a read blocks for at most a third of the lease.
        if (!(await this.#lead(reader, lease, leaseMs))) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MS, leaseMs / 3)).unref());
          continue;
        }
        let entries: StreamEntry[] = [];
        if (Date.now() - claimedAt >= claimIdleMs) {
          claimedAt = Date.now();
          const claim = (await reader.call('XAUTOCLAIM', this.#key, group, this.#consumer, claimIdleMs, '0-0', 'COUNT', READ_COUNT)) as [string, StreamEntry[]];
          entries = claim[1];
        }
        if (entries.length === 0) {
          const block = Math.min(BLOCK_MS, Math.floor(leaseMs / 3));
          const read = (await reader.xreadgroup('GROUP', group, this.#consumer, 'COUNT', READ_COUNT, 'BLOCK', block, 'STREAMS', this.#key, '>')) as
            | [string, StreamEntry[]][]
            | null;
          entries = read?.[0]?.[1] ?? [];
        }
        for (const [id, fields] of entries) {
          await this.#deliver(subscriber, fields);
          await reader.xack(this.#key, group, id);
        }
      } catch (error) {
        if (this.#closed) return;
        if ((error as Error).message.startsWith('NOGROUP')) groupExists = false; // the stream was deleted
        this.options.onError(subscriber.name, error);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      }
    }
  }

  async #deliver(subscriber: EventSubscriber, fields: string[]): Promise<void> {
    try {
      await subscriber.observe(JSON.parse(fields[1] ?? '') as DecisionEvent);
    } catch (error) {
      this.options.onError(subscriber.name, error);
    }
  }
}
