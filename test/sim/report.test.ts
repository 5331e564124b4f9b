/**
 * The simulator's scoring (sim/report.ts): an alert counts for an abuse when it names one of
 * its accounts or its evidence comes from one of its addresses, after the abuse began; any
 * other alert is false, and the false-alert rate is per 10,000 honest accounts per day.
 */
import { describe, expect, it } from 'vitest';
import { type AlertView, type EvidenceView, renderOutcome, score } from '../../sim/report.js';
import type { Abuse } from '../../sim/world.js';

const T0 = Date.UTC(2026, 0, 5);
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

const abuses: Abuse[] = [
  { scenario: 'sharedAccount', startedAt: T0, userIds: new Set(['u-shared']), addresses: new Set(['198.51.100.7']) },
  { scenario: 'credentialStuffing', startedAt: T0 + 100_000, userIds: new Set(['u-victim']), addresses: new Set(['203.0.113.9']) },
  { scenario: 'restreamer', startedAt: T0, userIds: new Set(['u-box']), addresses: new Set(['192.0.2.1']) },
];

const evidence = new Map<string, EvidenceView>([
  ['e1', { id: 'e1', ip: '203.0.113.9' }],
  ['e2', { id: 'e2', ip: '203.0.113.9' }],
  ['e3', { id: 'e3', ip: '100.64.1.1', user_id: 'u-honest' }],
]);

const alerts: AlertView[] = [
  { id: 'a1', at: at(30), detector: 'concurrent_networks', user_id: 'u-shared', evidence: [] },
  { id: 'a2', at: at(150), detector: 'credential_stuffing', evidence: ['e1', 'e2'] },
  // Before the stuffing began: not that abuse's, and no other's either.
  { id: 'a3', at: at(50), detector: 'credential_stuffing', evidence: ['e1'] },
  { id: 'a4', at: at(90), detector: 'impossible_travel', user_id: 'u-honest', evidence: ['e3'] },
];

describe('simulator scoring', () => {
  const outcome = score(abuses, alerts, evidence, 500, 1);

  it('matches alerts to abuses by account or evidence address, after the abuse began', () => {
    const byName = Object.fromEntries(outcome.scenarios.map((s) => [s.name, s]));
    expect(byName.sharedAccount).toMatchObject({ instances: 1, detected: 1, medianSecondsToDetect: 30, byDetector: { concurrent_networks: 1 } });
    expect(byName.credentialStuffing).toMatchObject({ instances: 1, detected: 1, medianSecondsToDetect: 50, byDetector: { credential_stuffing: 1 } });
    expect(byName.restreamer).toMatchObject({ instances: 1, detected: 0, medianSecondsToDetect: undefined, byDetector: {} });
  });

  it('counts every other alert as false, per detector and per 10,000 honest accounts per day', () => {
    expect(outcome.detectors).toEqual([
      { name: 'concurrent_networks', alerts: 1, truePositives: 1, precision: 1 },
      { name: 'credential_stuffing', alerts: 2, truePositives: 1, precision: 0.5 },
      { name: 'impossible_travel', alerts: 1, truePositives: 0, precision: 0 },
    ]);
    expect(outcome.falseAlerts).toBe(2);
    expect(outcome.falseAlertsPer10kHonestPerDay).toBe(40);
    expect(score(abuses, alerts, evidence, 500, 2).falseAlertsPer10kHonestPerDay).toBe(20);
  });

  it('renders the tables the doc shows', () => {
    const text = renderOutcome(outcome, { command: 'npm run simulate', honestAccounts: 500, hours: 24, seconds: 12, requests: 'segment 200: 9' });
    expect(text).toContain('| restreamer | 1 | 0 | — | none |');
    expect(text).toContain('| credential_stuffing | 2 | 1 | 50 % |');
    expect(text).toContain('False alerts: 2, that is 40.00 per 10,000 honest accounts per simulated day.');
  });
});
