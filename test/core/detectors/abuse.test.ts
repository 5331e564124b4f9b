/** Detectors of abuse: restreaming, credential stuffing, license abuse, spikes, sensitive titles; and their settings. */
import { describe, expect, it } from 'vitest';
import { CredentialStuffingDetector } from '../../../src/core/detectors/credential-stuffing.js';
import { createDetectors, parseDetectorSettings } from '../../../src/core/detectors/index.js';
import { LicenseAbuseDetector } from '../../../src/core/detectors/license-abuse.js';
import { RestreamingDetector } from '../../../src/core/detectors/restreaming.js';
import { SensitiveTitlesDetector } from '../../../src/core/detectors/sensitive-titles.js';
import { SpikesDetector } from '../../../src/core/detectors/spikes.js';
import type { Detector } from '../../../src/core/detectors/types.js';
import type { DecisionEvent } from '../../../src/core/events.js';
import { ev, MIN, SEC, T0, thresholds } from './events.js';

const run = (d: Detector, events: DecisionEvent[]) => events.map((e) => d.observe(e)).filter((f) => f !== undefined);
const summary = (i: number, renditions: number, mediaSeconds: number, ip = '198.51.100.4') =>
  ev({ kind: 'segment', sessionId: 's1', userId: 'u1', ip, at: T0 + i * 10 * SEC, count: 10, detail: { renditions, media_seconds: mediaSeconds, interval_ms: 10_000 } });

describe('restreaming', () => {
  const d = () => new RestreamingDetector(thresholds('restreaming'));

  it('flags every rendition fetched faster than real time, sustained', () => {
    expect(run(d(), Array.from({ length: 7 }, (_, i) => summary(i, 4, 40)))).toMatchObject([{ subject: 'address:198.51.100.4', severity: 'high' }]);
  });

  it('does not flag a player filling its buffer, nor one rendition at real time', () => {
    const start = [summary(0, 3, 60), summary(1, 1, 10), summary(2, 1, 10), summary(3, 1, 10), summary(4, 1, 10), summary(5, 1, 10), summary(6, 1, 10)];
    expect(run(d(), start)).toEqual([]);
    expect(run(d(), Array.from({ length: 10 }, (_, i) => summary(i, 4, 10, '192.0.2.1')))).toEqual([]);
  });
});

describe('credential_stuffing', () => {
  const d = () => new CredentialStuffingDetector(thresholds('credential_stuffing'));

  it('flags many failed logins from one address, and many accounts from one IPv6 /64', () => {
    expect(run(d(), Array.from({ length: 21 }, (_, i) => ev({ kind: 'login', decision: 'deny', code: 'invalid_credentials', at: T0 + i * SEC })))).toHaveLength(1);
    const spread = Array.from({ length: 11 }, (_, i) => ev({ kind: 'login', userId: `u${i}`, ip: `2001:db8:0:1::${i + 1}`, at: T0 + i * SEC }));
    expect(run(d(), spread)).toMatchObject([{ subject: 'address:2001:db8:0:1::/64' }]);
  });

  it('does not flag a family behind one address, or failures spread over time', () => {
    expect(run(d(), Array.from({ length: 4 }, (_, i) => ev({ kind: 'login', userId: `u${i}`, at: T0 + i * SEC })))).toEqual([]);
    expect(run(d(), Array.from({ length: 40 }, (_, i) => ev({ kind: 'login', decision: 'deny', at: T0 + i * MIN })))).toEqual([]);
  });
});

describe('license_abuse', () => {
  const d = () => new LicenseAbuseDetector(thresholds('license_abuse'));

  it('flags a scraper licensing many titles within a minute', () => {
    const found = run(d(), Array.from({ length: 6 }, (_, i) => ev({ kind: 'license', userId: 'u1', deviceId: 'd1', titleId: `t${i}`, at: T0 + i * SEC })));
    expect(found).toMatchObject([{ detector: 'license_abuse', subject: 'user:u1' }]);
  });

  it('does not flag key rotation heartbeats or back-to-back episodes', () => {
    const heartbeats = Array.from({ length: 30 }, (_, i) => ev({ kind: 'key', userId: 'u1', titleId: 'ep1', at: T0 + i * 10 * SEC }));
    const episodes = ['ep1', 'ep2', 'ep3'].map((titleId, i) => ev({ kind: 'license', userId: 'u1', titleId, at: T0 + 300 * SEC + i * 20 * SEC }));
    expect(run(d(), [...heartbeats, ...episodes])).toEqual([]);
  });
});

describe('spikes', () => {
  const d = () => new SpikesDetector(thresholds('spikes'));
  const starts = (minute: number, n: number, code?: string) =>
    Array.from({ length: n }, () => ev({ kind: 'playback_start', titleId: 't1', at: T0 + minute * MIN, ...(code ? { decision: 'deny' as const, code } : {}) }));

  it('flags a title far above its usual rate, once per bucket', () => {
    const history = Array.from({ length: 12 }, (_, m) => starts(m, 10)).flat();
    const found = run(d(), [...history, ...starts(12, 80)]);
    expect(found).toMatchObject([{ detector: 'spikes', subject: 'title:t1' }]);
  });

  it('does not flag a steady rate, a new series without history, or a small jump', () => {
    expect(run(d(), Array.from({ length: 20 }, (_, m) => starts(m, 30)).flat())).toEqual([]);
    expect(run(d(), starts(0, 500))).toEqual([]);
    expect(run(d(), [...Array.from({ length: 12 }, (_, m) => starts(m, 10)).flat(), ...starts(12, 40)])).toEqual([]);
  });

  it('counts error codes of denials', () => {
    const history = Array.from({ length: 12 }, (_, m) => starts(m, 2, 'geo_blocked')).flat();
    expect(run(d(), [...history, ...starts(12, 60, 'geo_blocked')]).map((f) => f.subject)).toContain('code:geo_blocked');
  });
});

describe('sensitive_titles', () => {
  const d = () => new SensitiveTitlesDetector(thresholds('sensitive_titles'), (t) => t === 'secret');
  const start = (userId: string, at: number, titleId = 'secret') => ev({ kind: 'playback_start', userId, titleId, at });

  it('flags a new viewer after the learning period, an unusual hour, and volume', () => {
    const detector = d();
    expect(run(detector, [start('u1', T0)])).toEqual([]);
    expect(run(detector, [start('u2', T0 + 8 * 86_400_000)])[0]?.summary).toMatch(/new to it/);
    expect(run(detector, [start('u1', Date.UTC(2026, 0, 20, 3, 0))])[0]?.summary).toMatch(/at 3:00 UTC/);
    expect(run(detector, Array.from({ length: 11 }, (_, i) => start('u1', Date.UTC(2026, 0, 21, 9, i))))).toHaveLength(1);
  });

  it('does not flag usual viewers in usual hours, or titles not flagged', () => {
    const detector = d();
    expect(run(detector, [start('u1', T0), start('u1', T0 + 9 * 86_400_000), start('u9', Date.UTC(2026, 0, 20, 3, 0), 'public')])).toEqual([]);
  });
});

describe('detector settings', () => {
  it('defaults to every detector enabled, notify only', () => {
    const { settings, problems } = parseDetectorSettings(undefined);
    expect(problems).toEqual([]);
    expect(settings.copied_url).toMatchObject({ enabled: true, dryRun: false, responses: [], blockMinutes: 60 });
    expect(createDetectors(settings, () => false)).toHaveLength(8);
  });

  it('takes thresholds, responses and dry-run per detector, and disables', () => {
    const { settings, problems } = parseDetectorSettings('{"copied_url":{"dry_run":true,"responses":["end_session","block_network"],"max_switches":5},"spikes":{"enabled":false}}');
    expect(problems).toEqual([]);
    expect(settings.copied_url).toMatchObject({ dryRun: true, responses: ['end_session', 'block_network'], thresholds: { max_switches: 5, window_seconds: 120 } });
    expect(createDetectors(settings, () => false).map((d) => d.name)).not.toContain('spikes');
  });

  it('names every bad field', () => {
    expect(parseDetectorSettings('[').problems).toEqual(['is not valid JSON']);
    expect(parseDetectorSettings('[]').problems).toEqual(['must be a JSON object keyed by detector name']);
    const { problems } = parseDetectorSettings('{"nope":{},"copied_url":{"max_switches":0,"colour":1,"responses":["shout"],"dry_run":"yes"}}');
    expect(problems).toEqual([
      expect.stringContaining('unknown detector "nope"'),
      expect.stringContaining('copied_url: unknown setting "colour"'),
      expect.stringContaining('copied_url.responses: must be a list of'),
      'copied_url.dry_run: must be true or false',
      'copied_url.max_switches: must be a number from 1 to 1000',
    ]);
  });
});
