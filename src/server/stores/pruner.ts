/**
 * Deletes what has ended: playback sessions, refresh-token families (with their tokens) and
 * rentals that ended, expired or were revoked more than the retention ago, and decision events
 * older than their own retention. Threat: tables that only grow, until lookups slow and the
 * database fills (a denial of service by ordinary use), and token hashes kept long after they
 * could matter. Rows are kept for the retention first, so
 * operators can still see recent sessions and logins.
 *
 * Every instance runs it on a timer; deletes are idempotent, so instances need not agree on
 * who prunes. A failed run is reported and retried at the next tick, never fatal.
 */
import type { DurableStores } from '../../core/ports.js';

export interface PruneResult {
  readonly playbackSessions: number;
  readonly refreshFamilies: number;
  readonly rentals: number;
  readonly events: number;
}

export interface PrunerOptions {
  readonly retentionMs: number;
  /** Decision events are kept this long (TOLLGATE_EVENTS_RETENTION_DAYS). */
  readonly eventRetentionMs: number;
  readonly intervalMs: number;
  readonly now: () => number;
}

export class Pruner {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly stores: DurableStores,
    private readonly options: PrunerOptions,
  ) {}

  async runOnce(): Promise<PruneResult> {
    const cutoff = this.options.now() - this.options.retentionMs;
    const [playbackSessions, refreshFamilies, rentals, events] = await Promise.all([
      this.stores.playbackSessions.prune(cutoff),
      this.stores.refreshTokens.prune(cutoff),
      this.stores.rentals.prune(cutoff),
      this.stores.events.prune(this.options.now() - this.options.eventRetentionMs),
    ]);
    return { playbackSessions, refreshFamilies, rentals, events };
  }

  /** Runs every interval until stop(); the timer never keeps the process alive. */
  start(onResult: (result: PruneResult) => void, onError: (error: unknown) => void): void {
    if (this.timer !== undefined) return;
    let running = false;
    this.timer = setInterval(() => {
      if (running) return; // a slow run is not stacked on
      running = true;
      this.runOnce()
        .then(onResult, onError)
        .finally(() => {
          running = false;
        });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
