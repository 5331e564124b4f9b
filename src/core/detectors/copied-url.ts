/**
 * One playback token used from a second network at the same time: a copied URL. A phone moving
 * from Wi-Fi to mobile switches network once and stays; two players sharing one session take
 * turns, so the session's requests keep switching between networks. So a session is flagged
 * when its network changes more than `max_switches` times within the window. With the token
 * bound to the viewer's network (TOLLGATE_BIND_IP), the copy is refused at its first request:
 * such a refusal (`detail.binding_refused`, a genuine token refused by its bindings) counts as
 * use from the refused network. Other denials do not count: a request that did not carry the
 * session's genuine token says nothing about where that token is.
 */
import type { DecisionEvent } from '../events.js';
import { networkOf } from './network.js';
import { type Detector, type Finding, findingOf, type Thresholds } from './types.js';
import { distinct, ids, KeyedWindow } from './window.js';

export const COPIED_URL = {
  window_seconds: { default: 120, min: 10, max: 3600, meaning: 'how far back switches are counted' },
  max_switches: { default: 2, min: 1, max: 1000, meaning: 'network changes of one session allowed within the window' },
} as const;

export class CopiedUrlDetector implements Detector {
  readonly name = 'copied_url';
  private readonly sessions: KeyedWindow<{ id: string; network: string }>;

  constructor(private readonly t: Thresholds<typeof COPIED_URL>) {
    this.sessions = new KeyedWindow(t.window_seconds * 1000);
  }

  observe(e: DecisionEvent): Finding | undefined {
    const network = networkOf(e.ip);
    const used = e.decision === 'grant' ? e.kind !== 'playback_start' : e.detail?.binding_refused === true;
    if (e.sessionId === undefined || network === undefined || !used) return undefined;
    const seen = this.sessions.add(e.sessionId, e.at, { id: e.id, network });
    let switches = 0;
    for (let i = 1; i < seen.length; i++) if (seen[i]!.value.network !== seen[i - 1]!.value.network) switches++;
    if (switches <= this.t.max_switches) return undefined;
    this.sessions.clear(e.sessionId);
    const networks = distinct(seen, (s) => s.network);
    return findingOf(this.name, e, `session:${e.sessionId}`, 'high', `one playback session alternates between ${networks.length} networks (${networks.join(', ')}): its URL is in use elsewhere`, ids(seen));
  }
}
