/**
 * Builds the event pipeline from configuration (called by compose.ts): the recorder and its
 * sinks (the batched store writer, the SIEM stream, the bus), with counters on /metrics.
 * With TOLLGATE_EVENTS=off nothing is recorded and the bus stays empty.
 */
import type { EventStore } from '../../core/ports.js';
import type { Config } from '../config.js';
import { type EventBus, InProcessEventBus } from './event-bus.js';
import { EventWriter } from './event-writer.js';
import { EventRecorder, type EventSink, type GeoLookup, offRecorder, type Recorder } from './events.js';
import type { MetricsRegistry } from './metrics.js';
import { RedisEventBus } from './redis-event-bus.js';
import { openSiemSink } from './siem.js';

const FLUSH_MS = 1_000;
const BATCH_SIZE = 500;
const MAX_BUFFERED = 50_000;
const WARN_EVERY_MS = 60_000;

export interface EventServices {
  readonly recorder: Recorder;
  /** Where detectors subscribe. */
  readonly bus: EventBus;
  /** Where failures are told (main.ts: the log), at most once a minute per kind of failure. */
  onWarning(listener: (message: string) => void): void;
  /** Writes buffered events now (tests; shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface EventServiceDeps {
  readonly store: EventStore;
  readonly metrics: MetricsRegistry;
  readonly geo: GeoLookup;
  readonly now: () => number;
}

export function openEventServices(config: Config, deps: EventServiceDeps): EventServices {
  const recorded = deps.metrics.counter('tollgate_events_recorded_total', 'Decision events recorded');
  const dropped = deps.metrics.counter('tollgate_events_dropped_total', 'Decision events lost, by where (store buffer full, bus backlog)');
  const failures = deps.metrics.counter('tollgate_events_failures_total', 'Failed event writes and subscriber errors, by where');
  let warn: (message: string) => void = () => undefined;
  const warnedAt = new Map<string, number>();
  const fail = (where: string) => {
    const labels = { where };
    return (error: unknown) => {
      failures.inc(labels);
      const now = deps.now();
      if (now - (warnedAt.get(where) ?? -Infinity) < WARN_EVERY_MS) return;
      warnedAt.set(where, now);
      warn(`events: ${where} failed (${(error as Error)?.message ?? String(error)}); counted in tollgate_events_failures_total`);
    };
  };
  const onWarning = (listener: (message: string) => void) => {
    warn = listener;
  };
  const onBusError = (subscriber: string, error: unknown) => fail(`bus ${subscriber}`)(error);
  const redis = config.redisUrl !== undefined ? { url: config.redisUrl } : config.redisClusterNodes.length > 0 ? { clusterNodes: config.redisClusterNodes } : undefined;
  const bus: EventBus =
    config.events.enabled && redis !== undefined
      ? new RedisEventBus({ ...redis, prefix: config.redisPrefix, timeoutMs: config.redisTimeoutMs, onError: onBusError })
      : new InProcessEventBus(onBusError);
  if (!config.events.enabled) return { recorder: offRecorder, bus, onWarning, flush: async () => undefined, close: () => bus.close() };

  const storeDropped = { where: 'store' };
  const writer = new EventWriter(deps.store, {
    flushMs: FLUSH_MS,
    batchSize: BATCH_SIZE,
    maxBuffered: MAX_BUFFERED,
    onError: fail('store'),
    onDropped: (count) => dropped.inc(storeDropped, count),
  });
  const siem = config.events.siem === undefined ? undefined : openSiemSink(config.events.siem, fail('siem'));
  const sinks: EventSink[] = [(event) => writer.add(event), (event) => bus.publish(event), () => recorded.inc()];
  if (siem !== undefined) sinks.push(siem.sink);
  const recorder = new EventRecorder(sinks, deps.geo, deps.now, fail('sink'));
  recorder.start(config.events.summarySec * 1000);
  writer.start();
  return {
    recorder,
    bus,
    onWarning,
    async flush() {
      recorder.flushSummaries();
      await writer.flush();
    },
    async close() {
      recorder.stop();
      await writer.close();
      await Promise.allSettled([bus.close(), siem?.close()]);
    },
  };
}
