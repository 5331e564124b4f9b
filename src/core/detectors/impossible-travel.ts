/**
 * Impossible travel: two consecutive requests of one account from countries further apart
 * than anyone could travel in the time between (country centres, centroids.ts). Allowances:
 * neighbouring countries (a VPN exit or a mobile carrier's gateway across a border) are under
 * the minimum distance; networks (ASNs) the operator lists as VPNs or carriers are skipped;
 * and the same network reported in another country is a geolocation database update, not travel.
 */
import type { DecisionEvent } from '../events.js';
import { countryDistanceKm } from './centroids.js';
import { networkOf } from './network.js';
import { type Detector, type Finding, findingOf, type Thresholds } from './types.js';

export const IMPOSSIBLE_TRAVEL = {
  max_speed_kmh: { default: 1000, min: 50, max: 100_000, meaning: 'faster than this between two requests is impossible (a jet flies ~900 km/h)' },
  min_distance_km: { default: 800, min: 0, max: 20_000, meaning: 'shorter jumps are never flagged (VPN exits and carriers across a border)' },
} as const;

interface Place {
  readonly id: string;
  readonly at: number;
  readonly country: string;
  readonly network: string;
}

export class ImpossibleTravelDetector implements Detector {
  readonly name = 'impossible_travel';
  private readonly last = new Map<string, Place>();

  constructor(
    private readonly t: Thresholds<typeof IMPOSSIBLE_TRAVEL>,
    /** ASNs of VPN providers and mobile carriers whose addresses say nothing of where a viewer is. */
    private readonly ignoredAsns: ReadonlySet<number> = new Set(),
    private readonly maxAccounts = 100_000,
  ) {}

  observe(e: DecisionEvent): Finding | undefined {
    const network = networkOf(e.ip);
    if (e.userId === undefined || e.country === undefined || network === undefined || e.decision !== 'grant') return undefined;
    if (e.asn !== undefined && this.ignoredAsns.has(e.asn)) return undefined;
    const before = this.last.get(e.userId);
    const here: Place = { id: e.id, at: e.at, country: e.country, network };
    this.last.delete(e.userId);
    this.last.set(e.userId, here);
    if (this.last.size > this.maxAccounts) this.last.delete(this.last.keys().next().value!);
    if (before === undefined || before.country === here.country || before.network === here.network) return undefined;
    const km = countryDistanceKm(before.country, here.country);
    if (km === undefined || km < this.t.min_distance_km) return undefined;
    const hours = Math.max(e.at - before.at, 1) / 3_600_000;
    const speed = km / hours;
    if (speed <= this.t.max_speed_kmh) return undefined;
    return findingOf(
      this.name,
      e,
      `user:${e.userId}`,
      'medium',
      `one account in ${before.country} then ${here.country} (${Math.round(km)} km) within ${Math.round(hours * 60)} min: ${Math.round(speed)} km/h`,
      [before.id, e.id],
    );
  }
}
