/**
 * License and key abuse: a scraper harvesting content keys asks for many licenses, or for many
 * titles, per minute from one account or device. Players ask once per key rotation period, and
 * back-to-back episodes are a title or two a minute, well under the defaults.
 */
import type { DecisionEvent } from '../events.js';
import { type Detector, type Finding, findingOf, type Thresholds } from './types.js';
import { distinct, ids, KeyedWindow } from './window.js';

export const LICENSE_ABUSE = {
  max_licenses_per_minute: { default: 60, min: 1, max: 100_000, meaning: 'license and key grants per minute per account or device' },
  max_titles_per_minute: { default: 4, min: 1, max: 10_000, meaning: 'distinct titles licensed per minute per account or device' },
} as const;

export class LicenseAbuseDetector implements Detector {
  readonly name = 'license_abuse';
  private readonly subjects = new KeyedWindow<{ id: string; title: string | undefined }>(60_000);

  constructor(private readonly t: Thresholds<typeof LICENSE_ABUSE>) {}

  observe(e: DecisionEvent): Finding | undefined {
    if ((e.kind !== 'license' && e.kind !== 'key') || e.decision !== 'grant' || e.userId === undefined) return undefined;
    const subjects = [`user:${e.userId}`, ...(e.deviceId !== undefined ? [`device:${e.userId}/${e.deviceId}`] : [])];
    const windows = subjects.map((subject) => ({ subject, seen: this.subjects.add(subject, e.at, { id: e.id, title: e.titleId }) }));
    const over = windows.find(({ seen }) => seen.length > this.t.max_licenses_per_minute || distinct(seen, (s) => s.title).length > this.t.max_titles_per_minute);
    if (over === undefined) return undefined;
    // One scraper, one alert: its device's window starts over with its account's.
    for (const subject of subjects) this.subjects.clear(subject);
    const titles = distinct(over.seen, (s) => s.title).length;
    return findingOf(this.name, e, over.subject, 'high', `${over.subject}: ${over.seen.length} licenses or keys for ${titles} titles within a minute`, ids(over.seen));
  }
}
