/**
 * Restreaming: a re-broadcaster pulls every rendition, as fast as it can, from one address;
 * a player fetches the one or two renditions it switches between, at about real time once
 * its buffer is full. Read from segment summary events, whose detail carries `renditions`
 * (distinct renditions fetched in the interval), `media_seconds` (media time the fetched
 * segments cover) and `interval_ms` (the interval summarised). Flagged when, over at least
 * `min_observed_seconds` (a player filling its buffer at start is briefly fast), every summary
 * shows `min_renditions` or more and media arrives over `max_speed` times real time.
 */
import type { DecisionEvent } from '../events.js';
import { addressOf } from './network.js';
import { type Detector, type Finding, findingOf, type Thresholds } from './types.js';
import { ids, KeyedWindow } from './window.js';

export const RESTREAMING = {
  window_seconds: { default: 300, min: 30, max: 3600, meaning: 'how far back summaries are read' },
  min_observed_seconds: { default: 60, min: 10, max: 3600, meaning: 'summarised time needed before judging' },
  min_renditions: { default: 3, min: 2, max: 100, meaning: 'renditions every summary must show' },
  max_speed: { default: 1.5, min: 1, max: 100, meaning: 'media seconds per second of wall time a player may fetch' },
} as const;

interface Summary {
  readonly id: string;
  readonly renditions: number;
  readonly mediaSeconds: number;
  readonly intervalMs: number;
}

export class RestreamingDetector implements Detector {
  readonly name = 'restreaming';
  private readonly addresses: KeyedWindow<Summary>;

  constructor(private readonly t: Thresholds<typeof RESTREAMING>) {
    this.addresses = new KeyedWindow(t.window_seconds * 1000);
  }

  observe(e: DecisionEvent): Finding | undefined {
    const d = e.detail;
    if (e.kind !== 'segment' || e.decision !== 'grant' || d === undefined) return undefined;
    const { renditions, media_seconds: mediaSeconds, interval_ms: intervalMs } = d;
    if (typeof renditions !== 'number' || typeof mediaSeconds !== 'number' || typeof intervalMs !== 'number' || intervalMs <= 0) return undefined;
    const key = addressOf(e.ip);
    const seen = this.addresses.add(key, e.at, { id: e.id, renditions, mediaSeconds, intervalMs });
    const observedSec = seen.reduce((sum, s) => sum + s.value.intervalMs, 0) / 1000;
    if (observedSec < this.t.min_observed_seconds) return undefined;
    const fewest = Math.min(...seen.map((s) => s.value.renditions));
    const speed = seen.reduce((sum, s) => sum + s.value.mediaSeconds, 0) / observedSec;
    if (fewest < this.t.min_renditions || speed <= this.t.max_speed) return undefined;
    this.addresses.clear(key);
    return findingOf(this.name, e, `address:${key}`, 'high', `${key} fetched ${fewest}+ renditions at ${speed.toFixed(1)}× real time for ${Math.round(observedSec)} s`, ids(seen));
  }
}
