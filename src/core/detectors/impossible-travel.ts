/**
 * Impossible travel, as two places at once: an account's consecutive requests jump between
 * countries further apart than anyone could travel in the time between (country centres,
 * centroids.ts), and within `window_seconds` it jumps back, just as impossibly, to a country it
 * had left (A→B→A, or A→B→C→A across three households). One jump alone is not flagged: an
 * in-flight Wi-Fi whose gateway exits on another continent, then the destination, is one
 * traveller moving on, never back. Allowances: neighbouring countries (a VPN exit or a mobile
 * carrier's gateway across a border) are under the minimum distance; networks (ASNs) the
 * operator lists as VPNs, carriers or in-flight providers are skipped; and the same network
 * reported in another country is a geolocation database update, not travel.
 */
import type { DecisionEvent } from '../events.js';
import { countryDistanceKm } from './centroids.js';
import { networkOf } from './network.js';
import { type Detector, type Finding, findingOf, type Thresholds } from './types.js';

export const IMPOSSIBLE_TRAVEL = {
  max_speed_kmh: { default: 1000, min: 50, max: 100_000, meaning: 'faster than this between two requests is impossible (a jet flies ~900 km/h)' },
  min_distance_km: { default: 800, min: 0, max: 20_000, meaning: 'shorter jumps are never flagged (VPN exits and carriers across a border)' },
  window_seconds: { default: 3600, min: 60, max: 86_400, meaning: 'how long after an impossible jump a jump back to the country left is flagged' },
} as const;

interface Place {
  readonly id: string;
  readonly at: number;
  readonly country: string;
  readonly network: string;
}

interface Account {
  last: Place;
  /** Impossible jumps within the window, oldest first: the country left, and the two requests. */
  jumps: { readonly from: Place; readonly to: Place }[];
}

/** Jumps remembered per account: enough for a handful of households taking turns. */
const MAX_JUMPS = 8;

export class ImpossibleTravelDetector implements Detector {
  readonly name = 'impossible_travel';
  private readonly accounts = new Map<string, Account>();

  constructor(
    private readonly t: Thresholds<typeof IMPOSSIBLE_TRAVEL>,
    /** ASNs of VPN providers, mobile carriers and in-flight providers whose addresses say nothing of where a viewer is. */
    private readonly ignoredAsns: ReadonlySet<number> = new Set(),
    private readonly maxAccounts = 100_000,
  ) {}

  observe(e: DecisionEvent): Finding | undefined {
    const network = networkOf(e.ip);
    if (e.userId === undefined || e.country === undefined || network === undefined || e.decision !== 'grant') return undefined;
    if (e.asn !== undefined && this.ignoredAsns.has(e.asn)) return undefined;
    const here: Place = { id: e.id, at: e.at, country: e.country, network };
    const account = this.accounts.get(e.userId) ?? { last: here, jumps: [] };
    this.accounts.delete(e.userId);
    this.accounts.set(e.userId, account);
    if (this.accounts.size > this.maxAccounts) this.accounts.delete(this.accounts.keys().next().value!);
    const before = account.last;
    account.last = here;
    const jump = this.impossible(before, here);
    if (jump === undefined) return undefined;
    account.jumps = account.jumps.filter((j) => j.to.at > e.at - this.t.window_seconds * 1000);
    const left = account.jumps.find((j) => j.from.country === here.country);
    account.jumps.push({ from: before, to: here });
    if (account.jumps.length > MAX_JUMPS) account.jumps.shift();
    if (left === undefined) return undefined;
    this.accounts.delete(e.userId);
    return findingOf(
      this.name,
      e,
      `user:${e.userId}`,
      'medium',
      `one account in ${left.from.country}, then ${left.to.country} (${Math.round(countryDistanceKm(left.from.country, left.to.country)!)} km) within ${minutes(left.to.at - left.from.at)} min, then back in ${here.country} from ${before.country} ${minutes(here.at - before.at)} min later (${jump} km/h): used from both places at once`,
      [...new Set([left.from.id, left.to.id, before.id, e.id])],
    );
  }

  /** The speed of a jump between two requests, when no one could have travelled it; else undefined. */
  private impossible(before: Place, here: Place): number | undefined {
    if (before.country === here.country || before.network === here.network) return undefined;
    const km = countryDistanceKm(before.country, here.country);
    if (km === undefined || km < this.t.min_distance_km) return undefined;
    const speed = km / (Math.max(here.at - before.at, 1) / 3_600_000);
    return speed > this.t.max_speed_kmh ? Math.round(speed) : undefined;
  }
}

function minutes(ms: number): number {
  return Math.round(ms / 60_000);
}
