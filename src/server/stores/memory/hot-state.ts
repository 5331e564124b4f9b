/**
 * In-process HotState for single-instance installs. Memory stays bounded: every entry has an
 * expiry, and expired entries are swept at most once per sweep interval (of the caller's
 * clock), so a flood of distinct keys costs at most what arrives within their TTLs.
 *
 * Everything is lost when the process stops, so a process start is a new hot-state epoch:
 * one-time ids issued before it are answered 'unknown', never 'first'.
 */
import type { HotState, OnceResult } from '../../../core/ports.js';
import { InProcessNotices } from './notices.js';
import { MemoryStreamLeases } from './stream-leases.js';

interface Entry {
  count: number;
  expiresAt: number;
}

export class MemoryHotState implements HotState {
  // One map for all three kinds; the key's first letter keeps them apart.
  readonly #entries = new Map<string, Entry>();
  readonly leases: MemoryStreamLeases;
  readonly notices = new InProcessNotices();
  readonly #sweepEveryMs: number;
  #nextSweep = 0;

  readonly #epochStartedAt: number;

  /** epochStartedAt: Unix ms when this hot state began (the process start); 0 in unit tests. */
  constructor(options: { sweepEveryMs?: number; epochStartedAt?: number } = {}) {
    this.#sweepEveryMs = options.sweepEveryMs ?? 10_000;
    this.#epochStartedAt = options.epochStartedAt ?? 0;
    this.leases = new MemoryStreamLeases(this.#epochStartedAt);
  }

  /** Entries held, expired or not (for metrics and tests). */
  get size(): number {
    return this.#entries.size;
  }

  async hit(key: string, windowMs: number, now: number): Promise<{ count: number; resetInMs: number }> {
    this.#sweep(now);
    const k = `h:${key}`;
    let entry = this.#live(k, now);
    if (!entry) this.#entries.set(k, (entry = { count: 0, expiresAt: now + windowMs }));
    entry.count += 1;
    return { count: entry.count, resetInMs: entry.expiresAt - now };
  }

  async reserve(key: string, limit: number, windowMs: number, now: number): Promise<{ taken: boolean; count: number; resetInMs: number }> {
    this.#sweep(now);
    const k = `h:${key}`;
    // Check and count with no await between them: atomic on the one JS thread.
    let entry = this.#live(k, now);
    if (entry && entry.count >= limit) return { taken: false, count: entry.count, resetInMs: entry.expiresAt - now };
    if (!entry) this.#entries.set(k, (entry = { count: 0, expiresAt: now + windowMs }));
    entry.count += 1;
    return { taken: true, count: entry.count, resetInMs: entry.expiresAt - now };
  }

  async release(key: string, now: number): Promise<void> {
    const entry = this.#live(`h:${key}`, now);
    if (entry && entry.count > 0) entry.count -= 1;
  }

  async clear(key: string): Promise<void> {
    this.#entries.delete(`h:${key}`);
  }

  async mark(key: string, ttlMs: number, now: number): Promise<void> {
    this.#sweep(now);
    this.#entries.set(`m:${key}`, { count: 1, expiresAt: now + ttlMs });
  }

  async isMarked(key: string, now: number): Promise<boolean> {
    return this.#live(`m:${key}`, now) !== undefined;
  }

  /** Memory is lost only with the process, and the caches that rely on it with it. */
  generation(): number {
    return 0;
  }

  async consumeOnce(key: string, ttlMs: number, now: number, issuedAt: number): Promise<OnceResult> {
    if (issuedAt < this.#epochStartedAt) return 'unknown';
    this.#sweep(now);
    const k = `o:${key}`;
    // Check and set with no await between them: atomic on the one JS thread.
    if (this.#live(k, now)) return 'used';
    this.#entries.set(k, { count: 1, expiresAt: now + ttlMs });
    return 'first';
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#entries.clear();
  }

  #live(k: string, now: number): Entry | undefined {
    const entry = this.#entries.get(k);
    return entry && entry.expiresAt > now ? entry : undefined;
  }

  #sweep(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + this.#sweepEveryMs;
    for (const [k, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(k);
  }
}
