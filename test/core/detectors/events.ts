/** Crafted decision events for the detector tests. */
import type { DecisionEvent } from '../../../src/core/events.js';
import { parseDetectorSettings, type DetectorName } from '../../../src/core/detectors/index.js';

let n = 0;
export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

export function ev(fields: Partial<DecisionEvent> & { at?: number }): DecisionEvent {
  return { id: `e${++n}`, at: T0, kind: 'manifest', decision: 'grant', ip: '203.0.113.7', ...fields };
}

/** The defaults of one detector's thresholds, with some changed. */
export function thresholds<K extends DetectorName>(name: K, changes: Record<string, number> = {}) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { ...parseDetectorSettings(undefined).settings[name].thresholds, ...changes } as any;
}

export const SEC = 1000;
export const MIN = 60_000;
