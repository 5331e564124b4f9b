/**
 * One account, or one playback session, used from several networks, ASNs or countries within
 * a short window: the sign of a shared login or a shared session. A viewer's own movement
 * (a phone going from Wi-Fi to mobile) is two networks of one device, so an account counts
 * only when at least two devices take part; a session is one player, so it counts networks
 * beyond the allowance. Private addresses are no network (network.ts).
 */
import type { DecisionEvent } from '../events.js';
import { networkOf } from './network.js';
import { type Detector, type Finding, findingOf, type Thresholds } from './types.js';
import { distinct, ids, KeyedWindow } from './window.js';

export const CONCURRENT_NETWORKS = {
  window_seconds: { default: 600, min: 10, max: 86_400, meaning: 'how far back "at once" reaches' },
  max_networks_per_account: { default: 3, min: 1, max: 1000, meaning: 'networks (/24, /64) one account may use at once, across two or more devices' },
  max_countries_per_account: { default: 1, min: 1, max: 250, meaning: 'countries one account may use at once, across two or more devices' },
  max_asns_per_account: { default: 3, min: 1, max: 1000, meaning: 'networks by ASN one account may use at once, across two or more devices' },
  max_networks_per_session: { default: 2, min: 1, max: 1000, meaning: 'networks one playback session may use at once' },
} as const;

interface Sighting {
  readonly id: string;
  readonly network: string;
  readonly device: string | undefined;
  readonly country: string | undefined;
  readonly asn: number | undefined;
}

export class ConcurrentNetworksDetector implements Detector {
  readonly name = 'concurrent_networks';
  private readonly accounts: KeyedWindow<Sighting>;
  private readonly sessions: KeyedWindow<Sighting>;

  constructor(private readonly t: Thresholds<typeof CONCURRENT_NETWORKS>) {
    this.accounts = new KeyedWindow(t.window_seconds * 1000);
    this.sessions = new KeyedWindow(t.window_seconds * 1000);
  }

  observe(e: DecisionEvent): Finding | undefined {
    const network = networkOf(e.ip);
    if (network === undefined || e.decision !== 'grant' || e.userId === undefined) return undefined;
    const sighting: Sighting = { id: e.id, network, device: e.deviceId ?? e.sessionId, country: e.country, asn: e.asn };
    if (e.sessionId !== undefined) {
      const seen = this.sessions.add(e.sessionId, e.at, sighting);
      const networks = distinct(seen, (s) => s.network);
      if (networks.length > this.t.max_networks_per_session) {
        this.sessions.clear(e.sessionId);
        return findingOf(this.name, e, `session:${e.sessionId}`, 'high', `one playback session used from ${networks.length} networks (${networks.join(', ')})`, ids(seen));
      }
    }
    const seen = this.accounts.add(e.userId, e.at, sighting);
    if (distinct(seen, (s) => s.device).length < 2) return undefined;
    const over = (
      [
        ['networks', distinct(seen, (s) => s.network), this.t.max_networks_per_account],
        ['countries', distinct(seen, (s) => s.country), this.t.max_countries_per_account],
        ['networks (ASNs)', distinct(seen, (s) => s.asn), this.t.max_asns_per_account],
      ] as const
    ).find(([, values, max]) => values.length > max);
    if (over === undefined) return undefined;
    this.accounts.clear(e.userId);
    const [what, values] = over;
    return findingOf(this.name, e, `user:${e.userId}`, 'medium', `one account used from ${values.length} ${what} at once (${values.join(', ')})`, ids(seen));
  }
}
