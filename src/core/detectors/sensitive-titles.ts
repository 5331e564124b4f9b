/**
 * Sensitive titles (internal training, pre-release; the secure-token article's insider-risk
 * case): starts of a title flagged `sensitive` by someone who has not watched it before (once
 * the title has a history of `learning_days`), at unusual hours (UTC), or in unusual volume.
 */
import type { DecisionEvent } from '../events.js';
import { type Detector, type Finding, findingOf, type Thresholds } from './types.js';
import { ids, KeyedWindow } from './window.js';

export const SENSITIVE_TITLES = {
  learning_days: { default: 7, min: 0, max: 365, meaning: "days a title's viewers are learned before a new viewer is unusual" },
  first_hour: { default: 7, min: 0, max: 23, meaning: 'usual hours start (UTC, inclusive)' },
  last_hour: { default: 20, min: 0, max: 23, meaning: 'usual hours end (UTC, inclusive)' },
  max_starts_per_day: { default: 10, min: 1, max: 100_000, meaning: "one viewer's starts of sensitive titles per 24 hours" },
} as const;

const DAY_MS = 86_400_000;

export class SensitiveTitlesDetector implements Detector {
  readonly name = 'sensitive_titles';
  private readonly firstSeen = new Map<string, number>();
  private readonly viewers = new Map<string, Set<string>>();
  private readonly starts = new KeyedWindow<{ id: string }>(DAY_MS);

  constructor(
    private readonly t: Thresholds<typeof SENSITIVE_TITLES>,
    /** Whether a title is flagged sensitive (read by the server from the catalogue). */
    private readonly isSensitive: (titleId: string) => boolean,
  ) {}

  observe(e: DecisionEvent): Finding | undefined {
    if (e.kind !== 'playback_start' || e.decision !== 'grant' || e.titleId === undefined || e.userId === undefined || !this.isSensitive(e.titleId)) return undefined;
    const reasons: string[] = [];
    const since = this.firstSeen.get(e.titleId) ?? e.at;
    this.firstSeen.set(e.titleId, since);
    const viewers = this.viewers.get(e.titleId) ?? new Set<string>();
    this.viewers.set(e.titleId, viewers);
    if (!viewers.has(e.userId) && e.at - since >= this.t.learning_days * DAY_MS) reasons.push('a viewer new to it');
    if (viewers.size < 100_000) viewers.add(e.userId);
    const hour = Math.floor((e.at % DAY_MS) / 3_600_000);
    const usual = this.t.first_hour <= this.t.last_hour ? hour >= this.t.first_hour && hour <= this.t.last_hour : hour >= this.t.first_hour || hour <= this.t.last_hour;
    if (!usual) reasons.push(`at ${hour}:00 UTC`);
    const seen = this.starts.add(e.userId, e.at, { id: e.id });
    if (seen.length > this.t.max_starts_per_day) reasons.push(`${seen.length} starts in 24 h`);
    if (reasons.length === 0) return undefined;
    return findingOf(this.name, e, `user:${e.userId}/title:${e.titleId}`, 'medium', `sensitive title ${e.titleId} started by ${e.userId}: ${reasons.join(', ')}`, ids(seen));
  }
}
