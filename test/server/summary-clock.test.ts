/**
 * Segment summaries are taken on the events' own clock (the recorder's injected `now`), not
 * on a wall-clock timer alone: a clock that runs faster than the wall, the traffic simulator's,
 * gets one summary per interval of its own time, so the restreaming detector's window and
 * `min_observed_seconds` line up with what the summaries say.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DecisionEvent } from '../../src/core/events.js';
import { EventRecorder } from '../../src/server/monitor/events.js';
import { ASSUMED_SEGMENT_SECONDS } from '../../src/server/monitor/segment-summaries.js';

const INTERVAL_MS = 10_000;
const SESSION = { id: 's1', userId: 'u1', titleId: 'movie' };

describe('segment summaries on the events\' clock', () => {
  const clock = { now: Date.UTC(2026, 0, 5) };
  const recorded: DecisionEvent[] = [];
  const recorder = new EventRecorder([(e) => void recorded.push(e)], () => ({}), () => clock.now, (error) => {
    throw error;
  });
  afterEach(() => recorder.stop());

  const summaries = () => recorded.filter((e) => e.kind === 'segment');

  it('takes a summary when an event arrives after the interval, with the interval and media time of that clock', () => {
    recorder.start(INTERVAL_MS);
    const began = clock.now;
    for (const rendition of ['360p', '720p', '1080p']) recorder.segment(SESSION, '81.2.69.1', `hls/${rendition}/seg_00001.ts`, 100);
    clock.now += INTERVAL_MS / 2;
    recorder.segment(SESSION, '81.2.69.1', 'hls/360p/seg_00002.ts', 100);
    expect(summaries()).toEqual([]);
    clock.now = began + INTERVAL_MS;
    recorder.segment(SESSION, '81.2.69.1', 'hls/360p/seg_00003.ts', 100);
    expect(summaries()).toMatchObject([{ at: began + INTERVAL_MS, count: 4, sessionId: 's1', detail: { renditions: 3, interval_ms: INTERVAL_MS, media_seconds: 4 * ASSUMED_SEGMENT_SECONDS } }]);
    // The segment that took it starts the next interval; any event (a heartbeat) takes that one.
    clock.now += INTERVAL_MS;
    recorder.record({ kind: 'heartbeat', decision: 'grant', ip: '81.2.69.1', sessionId: 's1' });
    expect(summaries()).toHaveLength(2);
    expect(summaries()[1]).toMatchObject({ count: 1, detail: { interval_ms: INTERVAL_MS } });
    expect(recorded.at(-1)!.kind).toBe('heartbeat');
  });

  it('keeps taking summaries when the clock is set back (none would come until it caught up)', () => {
    recorder.start(INTERVAL_MS);
    recorded.length = 0;
    recorder.segment(SESSION, '81.2.69.1', 'hls/360p/seg_00001.ts', 100);
    clock.now -= 3_600_000;
    recorder.segment(SESSION, '81.2.69.1', 'hls/360p/seg_00002.ts', 100);
    expect(summaries()).toMatchObject([{ count: 1 }]);
    clock.now += INTERVAL_MS;
    recorder.record({ kind: 'heartbeat', decision: 'grant', ip: '81.2.69.1', sessionId: 's1' });
    expect(summaries()).toMatchObject([{ count: 1 }, { count: 1, detail: { interval_ms: INTERVAL_MS } }]);
  });

  it('takes none on the events\' clock once stopped (stop took the last)', () => {
    recorded.length = 0;
    recorder.segment(SESSION, '81.2.69.1', 'hls/360p/seg_00004.ts', 100);
    clock.now += 10 * INTERVAL_MS;
    recorder.record({ kind: 'heartbeat', decision: 'grant', ip: '81.2.69.1', sessionId: 's1' });
    expect(summaries()).toEqual([]);
  });
});
