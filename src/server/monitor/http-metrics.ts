/**
 * Request metrics by route pattern, method and status. The label text of each combination
 * is built once and reused: this runs on every segment request.
 */
import { Counter, Histogram, type MetricsRegistry } from './metrics.js';

export class HttpMetrics {
  private readonly requests: Counter;
  private readonly latency: Histogram;
  /** Responses the gateway's fast path gave (the rest of the stream route went through Fastify). */
  readonly fastResponses: Counter;
  /** Responses the license fast path gave (the rest of license_url went through Fastify). */
  readonly licenseFastResponses: Counter;
  private readonly labels = new Map<string, { count: Record<string, string>; time: Record<string, string> }>();

  constructor(registry: MetricsRegistry) {
    this.requests = registry.counter('tollgate_http_requests_total', 'HTTP requests by route, method and status', ['route', 'method', 'status']);
    this.latency = registry.histogram('tollgate_http_request_duration_seconds', 'HTTP request latency by route', undefined, ['route', 'method']);
    this.fastResponses = registry.counter('tollgate_gateway_fast_responses_total', 'Segment responses answered by the gateway fast path', []);
    this.licenseFastResponses = registry.counter('tollgate_license_fast_responses_total', 'license_url responses answered by the license fast path', []);
  }

  record(route: string, method: string, status: number, seconds: number): void {
    const key = `${route} ${method} ${status}`;
    let labels = this.labels.get(key);
    if (labels === undefined) {
      labels = { count: { route, method, status: String(status) }, time: { route, method } };
      this.labels.set(key, labels);
    }
    this.requests.inc(labels.count);
    this.latency.observe(labels.time, seconds);
  }
}
