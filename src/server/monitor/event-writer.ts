/**
 * Writes recorded events to the event store in batches: every FLUSH_MS, or at once when a
 * batch is full. A request never waits for it. Threat: a store that is down or slow making
 * monitoring block requests or grow memory without bound; so the buffer is bounded, and when
 * it is full the oldest events are dropped and counted (tollgate_events_dropped_total), and
 * a failed write is retried with the next flush. See docs/RELIABILITY.md.
 */
import type { DecisionEvent } from '../../core/events.js';
import type { EventStore } from '../../core/ports.js';

export interface EventWriterOptions {
  readonly flushMs: number;
  /** Events per INSERT. */
  readonly batchSize: number;
  /** Events held while the store is away; beyond it the oldest are dropped. */
  readonly maxBuffered: number;
  /** A write failed (the store away); the events stay buffered. */
  onError(error: unknown): void;
  /** Events dropped for want of room. */
  onDropped(count: number): void;
}

export class EventWriter {
  #buffer: DecisionEvent[] = [];
  #flushing: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly options: EventWriterOptions,
  ) {}

  add(event: DecisionEvent): void {
    if (this.#buffer.length >= this.options.maxBuffered) {
      // A whole batch at once: dropping one by one would shift a full buffer per event.
      const dropped = Math.min(this.#buffer.length, this.options.batchSize);
      this.#buffer.splice(0, dropped);
      this.options.onDropped(dropped);
    }
    this.#buffer.push(event);
    if (this.#buffer.length >= this.options.batchSize && this.#flushing === undefined) void this.flush();
  }

  /** Writes what is buffered; resolves when done (failures are reported, never thrown). */
  flush(): Promise<void> {
    this.#flushing ??= this.#write().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.options.flushMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what is left (once; a store that is down loses it). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    await this.flush();
  }

  buffered(): number {
    return this.#buffer.length;
  }

  async #write(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.slice(0, this.options.batchSize);
      try {
        await this.store.append(batch);
      } catch (error) {
        this.options.onError(error);
        return; // kept; the next flush retries
      }
      // Events dropped while the batch was written were its own, already stored: keep the rest.
      const written = this.#buffer.indexOf(batch.at(-1)!) + 1;
      this.#buffer.splice(0, written);
    }
  }
}
