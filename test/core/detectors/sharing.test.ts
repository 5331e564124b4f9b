/** Detectors of shared accounts and sessions: concurrent networks, impossible travel, copied URLs. */
import { describe, expect, it } from 'vitest';
import { ConcurrentNetworksDetector } from '../../../src/core/detectors/concurrent-networks.js';
import { CopiedUrlDetector } from '../../../src/core/detectors/copied-url.js';
import { ImpossibleTravelDetector } from '../../../src/core/detectors/impossible-travel.js';
import { networkOf } from '../../../src/core/detectors/network.js';
import type { Detector } from '../../../src/core/detectors/types.js';
import type { DecisionEvent } from '../../../src/core/events.js';
import { ev, MIN, SEC, T0, thresholds } from './events.js';

const run = (d: Detector, events: DecisionEvent[]) => events.map((e) => d.observe(e)).filter((f) => f !== undefined);

describe('networkOf', () => {
  it('groups IPv4 by /24 and IPv6 by /64, and ignores private addresses', () => {
    expect(networkOf('203.0.113.7')).toBe('203.0.113.0/24');
    expect(networkOf('2001:db8:1:2:aaaa::1')).toBe(networkOf('2001:db8:1:2:bbbb::9'));
    expect(networkOf('::ffff:203.0.113.9')).toBe('203.0.113.0/24');
    for (const ip of ['10.1.2.3', '192.168.0.1', '172.20.0.1', '127.0.0.1', '::1', 'fd00::1', 'fe80::1', '100.64.0.1', 'nonsense']) expect(networkOf(ip)).toBeUndefined();
  });
});

describe('concurrent_networks', () => {
  const d = () => new ConcurrentNetworksDetector(thresholds('concurrent_networks'));

  it('flags one account in two countries at once from two devices', () => {
    const found = run(d(), [
      ev({ userId: 'u1', deviceId: 'tv', ip: '81.2.69.1', country: 'GB' }),
      ev({ userId: 'u1', deviceId: 'phone', ip: '198.51.100.4', country: 'US', at: T0 + MIN }),
    ]);
    expect(found).toMatchObject([{ detector: 'concurrent_networks', subject: 'user:u1', evidence: [expect.any(String), expect.any(String)] }]);
  });

  it('does not flag one device against itself, a household on many IPv6 addresses, or private addresses', () => {
    const found = run(d(), [
      ev({ userId: 'u1', deviceId: 'phone', ip: '81.2.69.1', country: 'GB' }),
      ev({ userId: 'u1', deviceId: 'phone', ip: '198.51.100.4', country: 'US', at: T0 + SEC }),
      ev({ userId: 'u2', deviceId: 'tv', ip: '2001:db8:1:2::1', country: 'GB' }),
      ...Array.from({ length: 6 }, (_, i) => ev({ userId: 'u2', deviceId: `d${i}`, ip: `2001:db8:1:2::${i + 10}`, country: 'GB', at: T0 + i * SEC })),
      ev({ userId: 'u3', deviceId: 'a', ip: '10.0.0.1', country: 'GB' }),
      ev({ userId: 'u3', deviceId: 'b', ip: '192.168.1.1', country: 'US' }),
    ]);
    expect(found).toEqual([]);
  });

  it('flags one session used from more networks than allowed, not one that moved once', () => {
    const moved = run(d(), [ev({ userId: 'u1', sessionId: 's1', ip: '81.2.69.1' }), ev({ userId: 'u1', sessionId: 's1', ip: '198.51.100.4', at: T0 + SEC })]);
    expect(moved).toEqual([]);
    const spread = run(d(), ['81.2.69.1', '198.51.100.4', '192.0.2.8'].map((ip, i) => ev({ userId: 'u1', sessionId: 's2', ip, at: T0 + i * SEC })));
    expect(spread).toMatchObject([{ subject: 'session:s2', severity: 'high' }]);
  });

  it('forgets what is older than the window', () => {
    const found = run(d(), [
      ev({ userId: 'u1', deviceId: 'tv', ip: '81.2.69.1', country: 'GB' }),
      ev({ userId: 'u1', deviceId: 'phone', ip: '198.51.100.4', country: 'US', at: T0 + 11 * MIN }),
    ]);
    expect(found).toEqual([]);
  });
});

describe('impossible_travel', () => {
  const d = (ignored: number[] = []) => new ImpossibleTravelDetector(thresholds('impossible_travel'), new Set(ignored));

  const at = (userId: string, ip: string, country: string, minutes: number, asn?: number) => ev({ userId, ip, country, at: T0 + minutes * MIN, ...(asn !== undefined ? { asn } : {}) });
  const [LONDON, NEW_YORK, SYDNEY, TOKYO] = ['81.2.69.1', '198.51.100.4', '192.0.2.8', '203.0.113.7'];

  it('flags London, New York thirty minutes later, then London again: two places at once', () => {
    const found = run(d(), [at('u1', LONDON, 'GB', 0), at('u1', NEW_YORK, 'US', 30), at('u1', LONDON, 'GB', 31)]);
    expect(found).toMatchObject([{ detector: 'impossible_travel', subject: 'user:u1', at: T0 + 31 * MIN }]);
    expect(found[0]!.summary).toMatch(/in GB, then US .* back in GB/);
    expect(found[0]!.evidence).toHaveLength(3);
  });

  it('flags three households taking turns (GB, US, AU, GB), though no jump goes straight back', () => {
    const found = run(d(), [at('u1', LONDON, 'GB', 0), at('u1', NEW_YORK, 'US', 1), at('u1', SYDNEY, 'AU', 2), at('u1', LONDON, 'GB', 3)]);
    expect(found).toMatchObject([{ subject: 'user:u1', at: T0 + 3 * MIN }]);
  });

  it('does not flag one impossible jump of a traveller moving on: home, in-flight Wi-Fi on another continent, the destination', () => {
    expect(run(d(), [at('u1', LONDON, 'GB', 0), at('u1', NEW_YORK, 'US', 90), at('u1', NEW_YORK, 'US', 120), at('u1', SYDNEY, 'AU', 9 * 60), at('u1', SYDNEY, 'AU', 10 * 60)])).toEqual([]);
  });

  it('does not flag a jump back after the window (a return flight), nor a possible jump back', () => {
    expect(run(d(), [at('u1', LONDON, 'GB', 0), at('u1', NEW_YORK, 'US', 30), at('u1', LONDON, 'GB', 30 + 61)])).toEqual([]);
    const slow = new ImpossibleTravelDetector(thresholds('impossible_travel', { window_seconds: 86_400 }));
    expect(run(slow, [at('u2', LONDON, 'GB', 0), at('u2', NEW_YORK, 'US', 30), at('u2', LONDON, 'GB', 30 + 8 * 60)])).toEqual([]);
  });

  it('does not flag a neighbouring country (VPN, carrier), an ignored ASN, or a geolocation update, even back and forth', () => {
    expect(run(d(), [at('u2', LONDON, 'FR', 0), at('u2', NEW_YORK, 'DE', 1), at('u2', LONDON, 'FR', 2)])).toEqual([]);
    expect(run(d([64500]), [at('u3', LONDON, 'GB', 0), at('u3', NEW_YORK, 'JP', 1, 64500), at('u3', LONDON, 'GB', 2), at('u3', NEW_YORK, 'JP', 3, 64500)])).toEqual([]);
    // The same network, now said to be in another country: the database changed, not the viewer.
    expect(run(d(), [at('u4', LONDON, 'GB', 0), at('u4', '81.2.69.2', 'AU', 1), at('u4', '81.2.69.3', 'GB', 2)])).toEqual([]);
  });

  it('starts over after a finding, and keeps accounts apart', () => {
    const detector = d();
    expect(run(detector, [at('u5', LONDON, 'GB', 0), at('u6', NEW_YORK, 'US', 0.5), at('u5', TOKYO, 'JP', 1), at('u6', NEW_YORK, 'US', 1.5)])).toEqual([]);
    expect(run(detector, [at('u5', LONDON, 'GB', 2)])).toHaveLength(1);
    expect(run(detector, [at('u5', TOKYO, 'JP', 3)])).toEqual([]);
  });
});

describe('copied_url', () => {
  const d = () => new CopiedUrlDetector(thresholds('copied_url'));

  it('flags a session whose requests alternate between two networks', () => {
    const ips = ['81.2.69.1', '198.51.100.4', '81.2.69.1', '198.51.100.4'];
    expect(run(d(), ips.map((ip, i) => ev({ sessionId: 's1', userId: 'u1', ip, at: T0 + i * 2 * SEC })))).toMatchObject([{ subject: 'session:s1', severity: 'high' }]);
  });

  it('does not flag a phone that moves from Wi-Fi to mobile and stays', () => {
    const ips = ['81.2.69.1', '81.2.69.1', '198.51.100.4', '198.51.100.4', '198.51.100.4'];
    expect(run(d(), ips.map((ip, i) => ev({ sessionId: 's1', userId: 'u1', ip, at: T0 + i * 2 * SEC })))).toEqual([]);
  });

  const refused = (ip: string, at: number) => ev({ sessionId: 's1', userId: 'u1', ip, at, kind: 'segment', decision: 'deny', code: 'invalid_token', detail: { binding_refused: true } });
  const played = (ip: string, at: number) => ev({ sessionId: 's1', userId: 'u1', ip, at, kind: 'segment', count: 3 });

  it('counts a bound token refused on another network as use from there: the copy plays nothing, and is still found', () => {
    const found = run(d(), [played('81.2.69.1', T0), refused('198.51.100.4', T0 + 6 * SEC), played('81.2.69.1', T0 + 10 * SEC), refused('198.51.100.4', T0 + 12 * SEC)]);
    expect(found).toMatchObject([{ subject: 'session:s1', at: T0 + 12 * SEC }]);
  });

  it('does not flag a phone whose bound token is refused once it moved (it starts a new session)', () => {
    // The summary of the segments it played at home is taken after the refusal: A, B, A.
    const moved = [played('81.2.69.1', T0), refused('198.51.100.4', T0 + 4 * SEC), played('81.2.69.1', T0 + 10 * SEC)];
    expect(run(d(), [...moved, ev({ sessionId: 's2', userId: 'u1', ip: '198.51.100.4', at: T0 + 12 * SEC })])).toEqual([]);
  });

  it('counts no other denial: a request without the genuine token says nothing about where it is', () => {
    const other = (ip: string, at: number) => ev({ sessionId: 's1', userId: 'u1', ip, at, kind: 'heartbeat', decision: 'deny', code: 'forbidden' });
    expect(run(d(), [played('81.2.69.1', T0), other('198.51.100.4', T0 + SEC), played('81.2.69.1', T0 + 2 * SEC), other('198.51.100.4', T0 + 3 * SEC), played('81.2.69.1', T0 + 4 * SEC)])).toEqual([]);
  });
});

describe('KeyedWindow (detector memory)', () => {
  it('is bounded: past maxKeys the least recently touched key is forgotten, past maxPerKey the oldest entries', async () => {
    const { KeyedWindow } = await import('../../../src/core/detectors/window.js');
    const w = new KeyedWindow<number>(60_000, 2, 3);
    w.add('a', 1, 1);
    w.add('b', 2, 2);
    w.add('a', 3, 3);
    w.add('c', 4, 4); // forgets b, the least recently touched
    expect(w.add('b', 5, 5)).toHaveLength(1);
    expect(w.add('x', 6, 0)).toHaveLength(1);
    for (let i = 0; i < 5; i++) w.add('y', 10 + i, i);
    expect(w.add('y', 20, 9).map((e) => e.value)).toEqual([3, 4, 9]);
  });
});
