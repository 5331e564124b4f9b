/**
 * Segment requests and session-less denials, summarised instead of recorded one by one: a
 * playing session fetches a segment every few seconds, and a flood of junk tokens would
 * otherwise be a flood of rows. Threat: monitoring that slows the hot path or lets an
 * attacker fill the event store. A segment costs a map lookup and a counter bump (a new
 * rendition or a new address of the session adds one entry); a denial without a session
 * is counted per kind, code and address.
 */
import type { EventKind } from '../../core/events.js';
import type { EventInput } from './events.js';

/** The session a granted segment belongs to (a PlaybackSessionRecord fits). */
export interface SegmentSession {
  readonly id: string;
  readonly userId: string;
  readonly titleId: string;
}

interface SegmentSummary {
  readonly session: SegmentSession;
  readonly ip: string;
  readonly firstAt: number;
  count: number;
  bytes: number;
  /** Rendition folders seen (a segment's path up to its last slash). */
  readonly renditions: Set<string>;
  lastRendition: string;
  /** The same session from another address, in the same interval. */
  next: SegmentSummary | undefined;
}

interface DenialSummary {
  readonly kind: EventKind;
  readonly code: string;
  readonly ip: string;
  readonly firstAt: number;
  count: number;
}

/** Distinct session-less denial summaries kept per interval; beyond it they are counted as lost. */
const MAX_DENIAL_KEYS = 10_000;
/** Rendition names listed in a summary's detail. */
const MAX_RENDITIONS_LISTED = 16;
/**
 * The media time a segment is taken to cover in `media_seconds`: the gateway does not read
 * playlists per request, and Tollgate's packager cuts 4-second segments by default.
 */
export const ASSUMED_SEGMENT_SECONDS = 4;

export class SegmentSummaries {
  readonly #segments = new Map<string, SegmentSummary>();
  readonly #denials = new Map<string, DenialSummary>();
  #lostDenials = 0;
  /** When the current interval began (the last take), undefined before the first. */
  #intervalStart: number | undefined;

  segment(session: SegmentSession, ip: string, path: string, bytes: number, now: number): void {
    const head = this.#segments.get(session.id);
    let summary = head;
    while (summary !== undefined && summary.ip !== ip) summary = summary.next;
    if (summary === undefined) {
      summary = { session, ip, firstAt: now, count: 0, bytes: 0, renditions: new Set(), lastRendition: '\u0000', next: head };
      this.#segments.set(session.id, summary);
    }
    summary.count++;
    summary.bytes += bytes;
    const last = summary.lastRendition;
    // Same folder as the last segment: no string is cut.
    if (!(path.startsWith(last) && path.indexOf('/', last.length) < 0)) {
      summary.lastRendition = path.slice(0, path.lastIndexOf('/') + 1);
      summary.renditions.add(summary.lastRendition);
    }
  }

  denial(kind: EventKind, code: string, ip: string, now: number): void {
    const key = `${kind} ${code} ${ip}`;
    const known = this.#denials.get(key);
    if (known !== undefined) known.count++;
    else if (this.#denials.size < MAX_DENIAL_KEYS) this.#denials.set(key, { kind, code, ip, firstAt: now, count: 1 });
    else this.#lostDenials++;
  }

  /**
   * The summaries of the interval just ended, as events to record; starts a new interval. A
   * summary's `interval_ms` is the interval's length (from its first segment for the first
   * interval), and `media_seconds` its segments' media time (ASSUMED_SEGMENT_SECONDS each): what
   * the restreaming detector compares with wall time.
   */
  take(now: number): EventInput[] {
    const events: EventInput[] = [];
    const intervalStart = this.#intervalStart;
    this.#intervalStart = now;
    for (const head of this.#segments.values()) {
      for (let s: SegmentSummary | undefined = head; s !== undefined; s = s.next) {
        const intervalMs = Math.max(1, now - (intervalStart ?? s.firstAt));
        const names = [...s.renditions].map((r) => r.replace(/\/$/, '') || '.');
        events.push({
          kind: 'segment',
          decision: 'grant',
          userId: s.session.userId,
          sessionId: s.session.id,
          titleId: s.session.titleId,
          ip: s.ip,
          count: s.count,
          detail: {
            bytes: s.bytes,
            renditions: names.length,
            rendition_names: names.slice(0, MAX_RENDITIONS_LISTED).join(','),
            first_at: s.firstAt,
            interval_ms: intervalMs,
            media_seconds: s.count * ASSUMED_SEGMENT_SECONDS,
          },
        });
      }
    }
    for (const d of this.#denials.values()) {
      events.push({ kind: d.kind, decision: 'deny', code: d.code, ip: d.ip, count: d.count, detail: { first_at: d.firstAt, summarised: true } });
    }
    this.#segments.clear();
    this.#denials.clear();
    return events;
  }

  /** Session-less denials not summarised because too many addresses were denied at once. */
  lostDenials(): number {
    return this.#lostDenials;
  }
}
