/**
 * The service's Prometheus registry, on prom-client: counters, histograms and gauges with
 * labels, and the process metrics every Node service exports (CPU, heap, GC, event-loop lag,
 * handles). Label values come from route patterns and outcome codes, never from raw URLs, so
 * cardinality stays bounded and no token reaches /metrics.
 *
 * Services register metrics by name and help only (`counter(name, help)`) and pass labels when
 * they count; prom-client wants the label names up front, so each metric is created on its
 * first use from the names of the labels it is given, unless they are declared.
 */
import promClient from 'prom-client';

const { Counter: PromCounter, Gauge: PromGauge, Histogram: PromHistogram, Registry, collectDefaultMetrics } = promClient;

type Labels = Readonly<Record<string, string>>;

const DEFAULT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Process metrics are the process's, not a registry's: collected once per process (the GC and
 * event-loop observers they start would otherwise multiply with every composed app in tests).
 */
let processMetrics: promClient.Registry | undefined;
function processRegistry(): promClient.Registry {
  if (processMetrics === undefined) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics, eventLoopMonitoringPrecision: 10 });
  }
  return processMetrics;
}

/** A prom-client metric made on first use, from the label names it is first given. */
class Lazy<M> {
  private metric: M | undefined;
  constructor(
    readonly name: string,
    private readonly make: (labelNames: string[]) => M,
    labelNames: readonly string[] | undefined,
  ) {
    if (labelNames !== undefined) this.metric = make([...labelNames]);
  }

  protected of(labels: Labels): M {
    return (this.metric ??= this.make(Object.keys(labels)));
  }
}

export class Counter extends Lazy<promClient.Counter> {
  inc(labels: Labels = {}, by = 1): void {
    this.of(labels).inc(labels, by);
  }

  /** The series of these labels, to count on without hashing them each time (hot paths). */
  series(labels: Labels): { inc(by?: number): void } {
    return this.of(labels).labels(labels);
  }
}

export class Histogram extends Lazy<promClient.Histogram> {
  observe(labels: Labels, value: number): void {
    this.of(labels).observe(labels, value);
  }

  /** The series of these labels, to observe on without hashing them each time (hot paths). */
  series(labels: Labels): { observe(value: number): void } {
    return this.of(labels).labels(labels);
  }
}

export class MetricsRegistry {
  private readonly registry = new Registry();

  constructor() {
    processRegistry();
  }

  counter(name: string, help: string, labelNames?: readonly string[]): Counter {
    return new Counter(name, (names) => new PromCounter({ name, help, labelNames: names, registers: [this.registry] }), labelNames);
  }

  histogram(name: string, help: string, buckets: readonly number[] = DEFAULT_BUCKETS, labelNames?: readonly string[]): Histogram {
    const make = (names: string[]) => new PromHistogram({ name, help, labelNames: names, buckets: [...buckets], registers: [this.registry] });
    return new Histogram(name, make, labelNames);
  }

  /** Values read when /metrics is scraped, one per value of `label` (a cache's hits, say). */
  sampled(kind: 'counter' | 'gauge', name: string, help: string, label: string, read: () => Iterable<readonly [string, number]>): void {
    const config = { name, help, labelNames: [label], registers: [this.registry] };
    if (kind === 'gauge') {
      new PromGauge({ ...config, collect() { for (const [value, n] of read()) this.set({ [label]: value }, n); } });
    } else {
      new PromCounter({ ...config, collect() { this.reset(); for (const [value, n] of read()) this.inc({ [label]: value }, n); } });
    }
  }

  /** The text exposition format (version 0.0.4): this registry's metrics, then the process's. */
  async render(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processRegistry().metrics()]);
    return `${own}\n${process}`;
  }
}
