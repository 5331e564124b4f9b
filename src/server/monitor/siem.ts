/**
 * The SIEM stream (TOLLGATE_EVENTS_SIEM): each decision event as one JSON line with Elastic
 * Common Schema field names, to stdout or appended to a file a log shipper tails. The mapping
 * is documented in docs/MONITORING.md. Writes are buffered by the stream, never awaited by a
 * request; a file that cannot be written is reported, not fatal.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { DecisionEvent } from '../../core/events.js';
import type { EventSink } from './events.js';

/** One event in Elastic Common Schema (ECS 8) names. */
export function toEcs(event: DecisionEvent): Record<string, unknown> {
  return {
    '@timestamp': new Date(event.at).toISOString(),
    event: {
      id: event.id,
      kind: 'event',
      category: [event.kind === 'login' || event.kind === 'refresh' ? 'authentication' : 'session'],
      action: event.kind,
      outcome: event.decision === 'grant' ? 'success' : 'failure',
      ...(event.code !== undefined ? { reason: event.code } : {}),
    },
    ...(event.userId !== undefined ? { user: { id: event.userId } } : {}),
    ...(event.sessionId !== undefined ? { session: { id: event.sessionId } } : {}),
    ...(event.deviceId !== undefined ? { device: { id: event.deviceId } } : {}),
    source: {
      ip: event.ip,
      ...(event.country !== undefined ? { geo: { country_iso_code: event.country } } : {}),
      ...(event.asn !== undefined ? { as: { number: event.asn } } : {}),
    },
    // Tollgate's own facts, under its own name as ECS asks of custom fields.
    tollgate: { count: event.count ?? 1, ...(event.titleId !== undefined ? { title_id: event.titleId } : {}), ...event.detail },
  };
}

export interface SiemSink {
  readonly sink: EventSink;
  close(): Promise<void>;
}

/** A sink writing ECS lines to stdout, or appending them to a file. */
export function openSiemSink(target: 'stdout' | { readonly file: string }, onError: (error: unknown) => void): SiemSink {
  const stream: Writable = target === 'stdout' ? process.stdout : createWriteStream(target.file, { flags: 'a', mode: 0o600 });
  stream.on('error', onError);
  return {
    sink: (event) => {
      stream.write(`${JSON.stringify(toEcs(event))}\n`);
    },
    close: () =>
      target === 'stdout' ? Promise.resolve() : new Promise<void>((resolve) => stream.end(() => resolve())),
  };
}
