/**
 * Spikes: a title's starts, a country's requests or an error code's denials far above their
 * usual rate. Each series is counted per bucket; its usual rate is an exponentially weighted
 * moving average (EWMA) of past buckets (empty ones included). A bucket fires once, as soon as
 * its count passes `factor` times the average and `min_count`, after `warmup_buckets` buckets
 * of history (a new title has no "usual" yet).
 */
import type { DecisionEvent } from '../events.js';
import { type Detector, type Finding, findingOf, type Thresholds } from './types.js';

export const SPIKES = {
  bucket_seconds: { default: 60, min: 1, max: 86_400, meaning: 'length of one counting bucket' },
  alpha: { default: 0.1, min: 0.001, max: 1, meaning: 'weight of the newest bucket in the average' },
  factor: { default: 5, min: 1, max: 10_000, meaning: 'how many times the average a bucket must reach' },
  min_count: { default: 50, min: 1, max: 10_000_000, meaning: 'a bucket below this never fires' },
  warmup_buckets: { default: 10, min: 0, max: 100_000, meaning: 'buckets of history before a series can fire' },
} as const;

interface Series {
  bucket: number;
  count: number;
  average: number;
  history: number;
  fired: boolean;
  evidence: string[];
}

export class SpikesDetector implements Detector {
  readonly name = 'spikes';
  private readonly series = new Map<string, Series>();

  constructor(
    private readonly t: Thresholds<typeof SPIKES>,
    private readonly maxSeries = 10_000,
  ) {}

  observe(e: DecisionEvent): Finding | undefined {
    const keys = [
      ...(e.kind === 'playback_start' && e.titleId !== undefined ? [`title:${e.titleId}`] : []),
      ...(e.country !== undefined && e.kind !== 'segment' ? [`country:${e.country}`] : []),
      ...(e.decision === 'deny' && e.code !== undefined ? [`code:${e.code}`] : []),
    ];
    let finding: Finding | undefined;
    for (const key of keys) finding = this.count(key, e) ?? finding;
    return finding;
  }

  private count(key: string, e: DecisionEvent): Finding | undefined {
    const bucket = Math.floor(e.at / (this.t.bucket_seconds * 1000));
    let s = this.series.get(key);
    if (s === undefined) {
      if (this.series.size >= this.maxSeries) this.series.delete(this.series.keys().next().value!);
      s = { bucket, count: 0, average: 0, history: 0, fired: false, evidence: [] };
      this.series.set(key, s);
    } else if (bucket > s.bucket) {
      // Close the finished bucket, then decay through the empty ones since.
      const empty = Math.min(bucket - s.bucket - 1, 10_000);
      s.average = s.history === 0 ? s.count : s.average + this.t.alpha * (s.count - s.average);
      s.average *= (1 - this.t.alpha) ** empty;
      s.history += 1 + empty;
      Object.assign(s, { bucket, count: 0, fired: false, evidence: [] });
    }
    s.count += e.count ?? 1;
    if (s.evidence.length < 20) s.evidence.push(e.id);
    if (s.fired || s.history < this.t.warmup_buckets || s.count < this.t.min_count || s.count <= this.t.factor * s.average) return undefined;
    s.fired = true;
    return findingOf(this.name, e, key, 'medium', `${key}: ${s.count} in ${this.t.bucket_seconds} s, usually ${s.average.toFixed(1)}`, s.evidence);
  }
}
