/**
 * A small Prometheus registry: counters and histograms with labels, rendered in the text
 * exposition format (version 0.0.4). Label values come from route patterns and outcome codes,
 * never from raw URLs, so cardinality stays bounded and no token reaches /metrics.
 */
type Labels = Readonly<Record<string, string>>;

const DEFAULT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [labels, value] of this.values) lines.push(`${this.name}${labels} ${value}`);
    return lines.join('\n');
  }
}

export class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[] = DEFAULT_BUCKETS,
  ) {}

  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (s === undefined) {
      s = { counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [labels, s] of this.series) {
      const inner = labels.slice(1, -1);
      const sep = inner === '' ? '' : ',';
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{${inner}${sep}le="${b}"} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket{${inner}${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${labels} ${s.sum}`, `${this.name}_count${labels} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class MetricsRegistry {
  private readonly metrics: (Counter | Histogram)[] = [];

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }

  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }

  render(): string {
    return `${this.metrics.map((m) => m.render()).join('\n')}\n`;
  }

  private add<T extends Counter | Histogram>(metric: T): T {
    this.metrics.push(metric);
    return metric;
  }
}

/** Label text per labels object, so callers that reuse their label objects build it once. */
const labelTexts = new WeakMap<Labels, string>();

function labelText(labels: Labels): string {
  let text = labelTexts.get(labels);
  if (text === undefined) {
    const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`);
    text = parts.length === 0 ? '' : `{${parts.join(',')}}`;
    labelTexts.set(labels, text);
  }
  return text;
}
