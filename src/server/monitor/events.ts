/**
 * The recorder: every grant and denial becomes a DecisionEvent (src/core/events.ts), with the
 * address's country and network, and goes to its sinks: the event store (batched), the SIEM
 * stream and the event bus the detectors read. Threats: a decision that leaves no trace (an
 * abuser unseen), secrets copied into the trail (events carry ids, codes and small counts,
 * never tokens, passwords or URLs), and monitoring that slows or fails requests (recording is
 * synchronous bookkeeping; every sink is non-blocking and never throws into a request).
 *
 * Segments and session-less denials are summarised per interval (segment-summaries.ts). The
 * interval runs on the events' own clock (the injected `now`): a summary is taken when an event
 * arrives after the interval is over, so a clock that runs faster than the wall (the traffic
 * simulator's) drives the summaries too; a wall-clock timer takes the ones due when all is quiet.
 */
import type { DecisionEvent, EventKind } from '../../core/events.js';
import { SegmentSummaries, type SegmentSession } from './segment-summaries.js';

/** What a caller knows of a decision; the recorder adds id, time, country and network. */
export type EventInput = Omit<DecisionEvent, 'id' | 'at' | 'country' | 'asn'>;

/** Country and network of an address, where a database knows them. */
export type GeoLookup = (ip: string) => { readonly country?: string; readonly asn?: number };

export type EventSink = (event: DecisionEvent) => void;

/** Recording off (TOLLGATE_EVENTS=off): the same calls, no work. */
export interface Recorder {
  record(input: EventInput): DecisionEvent | undefined;
  segment(session: SegmentSession, ip: string, path: string, bytes: number): void;
  /** A denial of a request that names no session or user (a junk token): summarised. */
  anonymousDenial(kind: EventKind, code: string, ip: string): void;
}

export const offRecorder: Recorder = {
  record: () => undefined,
  segment: () => undefined,
  anonymousDenial: () => undefined,
};

export class EventRecorder implements Recorder {
  readonly #summaries = new SegmentSummaries();
  readonly #instance = Math.random().toString(36).slice(2, 8).padEnd(6, '0');
  #sequence = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The summary interval (start), and when the current one began on the events' clock. */
  #intervalMs: number | undefined;
  #intervalStart = 0;

  constructor(
    private readonly sinks: readonly EventSink[],
    private readonly geo: GeoLookup,
    private readonly now: () => number,
    private readonly onSinkError: (error: unknown) => void,
  ) {}

  record(input: EventInput): DecisionEvent {
    const at = this.now();
    this.#flushIfDue(at);
    return this.#record(input, at);
  }

  #record(input: EventInput, at: number): DecisionEvent {
    const { country, asn } = this.geo(input.ip);
    const event: DecisionEvent = {
      ...input,
      id: this.#nextId(at),
      at,
      ...(country !== undefined ? { country } : {}),
      ...(asn !== undefined ? { asn } : {}),
    };
    for (const sink of this.sinks) {
      try {
        sink(event);
      } catch (error) {
        this.onSinkError(error);
      }
    }
    return event;
  }

  segment(session: SegmentSession, ip: string, path: string, bytes: number): void {
    const now = this.now();
    this.#flushIfDue(now);
    this.#summaries.segment(session, ip, path, bytes, now);
  }

  anonymousDenial(kind: EventKind, code: string, ip: string): void {
    const now = this.now();
    this.#flushIfDue(now);
    this.#summaries.denial(kind, code, ip, now);
  }

  /** Records the summaries of the interval just ended. */
  flushSummaries(now = this.now()): void {
    this.#intervalStart = now;
    for (const input of this.#summaries.take(now)) this.#record(input, now);
  }

  lostDenials(): number {
    return this.#summaries.lostDenials();
  }

  /** Summaries every `intervalMs` of the events' clock; the timer covers quiet times. */
  start(intervalMs: number): void {
    this.#intervalMs = intervalMs;
    this.#intervalStart = this.now();
    this.#timer ??= setInterval(() => this.#flushIfDue(this.now()), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#intervalMs = undefined;
    this.flushSummaries();
  }

  /** Due once the interval is over, or when the clock went back before its start (else none until it caught up). */
  #flushIfDue(now: number): void {
    if (this.#intervalMs !== undefined && (now - this.#intervalStart >= this.#intervalMs || now < this.#intervalStart)) this.flushSummaries(now);
  }

  /**
   * Sortable by time, unique across instances: time (base 36, fixed width), a sequence within
   * this process, and a random instance tag.
   */
  #nextId(at: number): string {
    this.#sequence = (this.#sequence + 1) % 36 ** 5;
    return `${at.toString(36).padStart(9, '0')}${this.#sequence.toString(36).padStart(5, '0')}${this.#instance}`;
  }
}
