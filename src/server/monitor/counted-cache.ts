/**
 * A bounded in-process cache (lru-cache: least recently used entries go first) that counts
 * its hits and misses, so /metrics shows whether the hot path's caches work: playback tokens,
 * confirmed entitlements, titles' unsealed DRM keys.
 */
import { LRUCache } from 'lru-cache';
import type { MetricsRegistry } from './metrics.js';

/** What /metrics reads of a cache. */
export interface CacheCounts {
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
}

export class CountedCache<K extends {}, V extends {}> implements CacheCounts {
  private readonly lru: LRUCache<K, V>;
  hits = 0;
  misses = 0;

  constructor(max: number) {
    this.lru = new LRUCache({ max });
  }

  get(key: K): V | undefined {
    const value = this.lru.get(key);
    if (value === undefined) this.misses++;
    else this.hits++;
    return value;
  }

  set(key: K, value: V): void {
    this.lru.set(key, value);
  }

  delete(key: K): void {
    this.lru.delete(key);
  }

  get size(): number {
    return this.lru.size;
  }
}

/** tollgate_cache_{hits_total,misses_total,entries}{cache=<name>}, read when /metrics is scraped. */
export function observeCaches(registry: MetricsRegistry, caches: Readonly<Record<string, CacheCounts>>): void {
  const each = (read: (cache: CacheCounts) => number) => () => Object.entries(caches).map(([name, cache]) => [name, read(cache)] as const);
  registry.sampled('counter', 'tollgate_cache_hits_total', 'Lookups answered by an in-process cache', 'cache', each((c) => c.hits));
  registry.sampled('counter', 'tollgate_cache_misses_total', 'Lookups an in-process cache could not answer', 'cache', each((c) => c.misses));
  registry.sampled('gauge', 'tollgate_cache_entries', 'Entries held by an in-process cache', 'cache', each((c) => c.size));
}
