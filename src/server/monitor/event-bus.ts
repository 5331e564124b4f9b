/**
 * How decision events reach their consumers (the detectors): the recorder publishes every
 * event to the bus; subscribers observe them.
 *
 * Delivery guarantee:
 * - Without Redis (one instance): each subscriber sees each event of this process once, in
 *   order, one at a time (an async observe is awaited before the next event). A subscriber
 *   more than `maxQueued` events behind loses its oldest ones (counted in `dropped`).
 * - With Redis (redis-event-bus.ts), one server or a cluster: every instance appends its events
 *   to one Redis Stream; each subscriber name is a consumer group that one instance at a time
 *   reads (it holds a lease; another takes over when it lapses), so a subscriber sees every
 *   instance's events once, in stream order, in one process. An entry is acknowledged after
 *   observe resolves (or throws: a failing subscriber does not stall the group); entries a
 *   reader took and never acknowledged (it died) are claimed by the next after `claimIdleMs`,
 *   so delivery is at least once: a claimed event may be seen twice. Events waiting to be
 *   appended while Redis is down are bounded (oldest dropped, counted).
 *
 * Publishing never blocks and never throws: monitoring must not fail a request.
 */
import type { DecisionEvent } from '../../core/events.js';

export interface EventSubscriber {
  /** Stable name of the subscriber (a detector set); with Redis it names the consumer group. */
  readonly name: string;
  observe(event: DecisionEvent): void | Promise<void>;
}

export interface EventBus {
  /** Hands an event on to every subscriber; returns at once. */
  publish(event: DecisionEvent): void;
  /** Registers a subscriber; events published from now on reach it. */
  subscribe(subscriber: EventSubscriber): void;
  /** Events lost: queues full, the bus's store unreachable for too long. */
  dropped(): number;
  /** Stops delivering; what is queued may be lost. */
  close(): Promise<void>;
}

/** A subscriber threw: counted and reported, never rethrown into a request. */
export type SubscriberErrorHandler = (subscriber: string, error: unknown) => void;

interface SubscriberQueue {
  readonly subscriber: EventSubscriber;
  readonly events: DecisionEvent[];
  running: boolean;
}

/** The single-instance bus: subscribers called in this process. */
export class InProcessEventBus implements EventBus {
  readonly #queues: SubscriberQueue[] = [];
  #dropped = 0;
  #closed = false;

  constructor(
    private readonly onError: SubscriberErrorHandler,
    private readonly maxQueued = 10_000,
  ) {}

  publish(event: DecisionEvent): void {
    if (this.#closed) return;
    for (const queue of this.#queues) {
      if (queue.events.length >= this.maxQueued) {
        queue.events.shift();
        this.#dropped++;
      }
      queue.events.push(event);
      if (!queue.running) void this.#drain(queue);
    }
  }

  subscribe(subscriber: EventSubscriber): void {
    this.#queues.push({ subscriber, events: [], running: false });
  }

  dropped(): number {
    return this.#dropped;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const queue of this.#queues) queue.events.length = 0;
  }

  /** Delivered after the publishing request's own work: a microtask later, one at a time. */
  async #drain(queue: SubscriberQueue): Promise<void> {
    queue.running = true;
    await Promise.resolve();
    while (queue.events.length > 0 && !this.#closed) {
      const event = queue.events.shift()!;
      try {
        await queue.subscriber.observe(event);
      } catch (error) {
        this.onError(queue.subscriber.name, error);
      }
    }
    queue.running = false;
  }
}
