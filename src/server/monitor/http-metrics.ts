/**
 * Request metrics by route pattern, method and status. The series of each combination is
 * looked up once and reused (prom-client then hashes no labels): this runs on every segment
 * request.
 */
import { Counter, Histogram, type MetricsRegistry } from './metrics.js';

export class HttpMetrics {
  private readonly requests: Counter;
  private readonly latency: Histogram;
  /** Responses the gateway's fast path gave (the rest of the stream route went through Fastify). */
  readonly fastResponses: Counter;
  /** Responses the license fast path gave (the rest of license_url went through Fastify). */
  readonly licenseFastResponses: Counter;
  private readonly series = new Map<string, { count: { inc(): void }; time: { observe(value: number): void } }>();

  constructor(registry: MetricsRegistry) {
    this.requests = registry.counter('tollgate_http_requests_total', 'HTTP requests by route, method and status', ['route', 'method', 'status']);
    this.latency = registry.histogram('tollgate_http_request_duration_seconds', 'HTTP request latency by route', undefined, ['route', 'method']);
    this.fastResponses = registry.counter('tollgate_gateway_fast_responses_total', 'Segment responses answered by the gateway fast path', []);
    this.licenseFastResponses = registry.counter('tollgate_license_fast_responses_total', 'license_url responses answered by the license fast path', []);
  }

  record(route: string, method: string, status: number, seconds: number): void {
    const key = `${route} ${method} ${status}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = { count: this.requests.series({ route, method, status: String(status) }), time: this.latency.series({ route, method }) };
      this.series.set(key, series);
    }
    series.count.inc();
    series.time.observe(seconds);
  }
}
