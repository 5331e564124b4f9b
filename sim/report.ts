/**
 * Matches the alerts Tollgate raised against the simulation's ground truth: an alert belongs
 * to an abuse when it names one of its accounts or its evidence comes from one of its
 * addresses, and is false when it belongs to none. Renders the per-scenario and per-detector
 * tables of docs/DETECTION.md.
 */
import type { Abuse } from './world.js';

export interface AlertView {
  readonly id: string;
  readonly at: string;
  readonly detector: string;
  readonly user_id?: string;
  readonly evidence: readonly string[];
}

export interface EvidenceView {
  readonly id: string;
  readonly user_id?: string;
  readonly ip: string;
}

export interface Outcome {
  readonly scenarios: { name: string; instances: number; detected: number; medianSecondsToDetect: number | undefined; byDetector: Record<string, number> }[];
  readonly detectors: { name: string; alerts: number; truePositives: number; precision: number }[];
  readonly falseAlerts: number;
  readonly falseAlertsPer10kHonestPerDay: number;
}

export function score(abuses: readonly Abuse[], alerts: readonly AlertView[], evidence: ReadonlyMap<string, EvidenceView>, honestAccounts: number, days: number): Outcome {
  const matches = (alert: AlertView, abuse: Abuse): boolean => {
    if (Date.parse(alert.at) < abuse.startedAt) return false;
    if (alert.user_id !== undefined && abuse.userIds.has(alert.user_id)) return true;
    return alert.evidence.some((id) => {
      const event = evidence.get(id);
      return event !== undefined && (abuse.addresses.has(event.ip) || (event.user_id !== undefined && abuse.userIds.has(event.user_id)));
    });
  };
  const names = [...new Set(abuses.map((a) => a.scenario))].sort();
  const scenarios = names.map((name) => {
    const instances = abuses.filter((a) => a.scenario === name);
    const byDetector: Record<string, number> = {};
    const delays: number[] = [];
    for (const abuse of instances) {
      const found = alerts.filter((alert) => matches(alert, abuse));
      for (const detector of new Set(found.map((a) => a.detector))) byDetector[detector] = (byDetector[detector] ?? 0) + 1;
      if (found.length > 0) delays.push(Math.min(...found.map((a) => Date.parse(a.at))) - abuse.startedAt);
    }
    return { name, instances: instances.length, detected: delays.length, medianSecondsToDetect: delays.length === 0 ? undefined : median(delays) / 1000, byDetector };
  });
  const isTrue = (alert: AlertView) => abuses.some((abuse) => matches(alert, abuse));
  const detectorNames = [...new Set(alerts.map((a) => a.detector))].sort();
  const detectors = detectorNames.map((name) => {
    const mine = alerts.filter((a) => a.detector === name);
    const truePositives = mine.filter(isTrue).length;
    return { name, alerts: mine.length, truePositives, precision: mine.length === 0 ? 1 : truePositives / mine.length };
  });
  const falseAlerts = alerts.filter((a) => !isTrue(a)).length;
  return { scenarios, detectors, falseAlerts, falseAlertsPer10kHonestPerDay: honestAccounts === 0 ? 0 : (falseAlerts / honestAccounts) * 10_000 / days };
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function renderOutcome(outcome: Outcome, run: { command: string; honestAccounts: number; hours: number; seconds: number; requests: string }): string {
  const lines = [
    `Command: \`${run.command}\` — ${run.honestAccounts} honest accounts over ${run.hours} simulated hours, run in ${run.seconds.toFixed(0)} s.`,
    `Requests answered: ${run.requests}.`,
    '',
    '| abuse | instances | detected | median time to detect | detected by |',
    '|---|---|---|---|---|',
    ...outcome.scenarios.map(
      (s) =>
        `| ${s.name} | ${s.instances} | ${s.detected} | ${s.medianSecondsToDetect === undefined ? '—' : `${s.medianSecondsToDetect.toFixed(0)} s`} | ${
          Object.entries(s.byDetector).map(([d, n]) => `${d} (${n})`).join(', ') || 'none'
        } |`,
    ),
    '',
    '| detector | alerts | on an abuse | precision |',
    '|---|---|---|---|',
    ...outcome.detectors.map((d) => `| ${d.name} | ${d.alerts} | ${d.truePositives} | ${(d.precision * 100).toFixed(0)} % |`),
    '',
    `False alerts: ${outcome.falseAlerts}, that is ${outcome.falseAlertsPer10kHonestPerDay.toFixed(2)} per 10,000 honest accounts per simulated day.`,
  ];
  return lines.join('\n');
}
