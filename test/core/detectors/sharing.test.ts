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

  it('flags London then New York thirty minutes later', () => {
    const found = run(d(), [ev({ userId: 'u1', ip: '81.2.69.1', country: 'GB' }), ev({ userId: 'u1', ip: '198.51.100.4', country: 'US', at: T0 + 30 * MIN })]);
    expect(found).toMatchObject([{ detector: 'impossible_travel', subject: 'user:u1' }]);
    expect(found[0]!.summary).toMatch(/GB then US/);
  });

  it('does not flag a real flight, a neighbouring country (VPN, carrier), an ignored ASN, or a geolocation update', () => {
    expect(run(d(), [ev({ userId: 'u1', ip: '81.2.69.1', country: 'GB' }), ev({ userId: 'u1', ip: '198.51.100.4', country: 'US', at: T0 + 9 * 60 * MIN })])).toEqual([]);
    expect(run(d(), [ev({ userId: 'u2', ip: '81.2.69.1', country: 'FR' }), ev({ userId: 'u2', ip: '198.51.100.4', country: 'DE', at: T0 + MIN })])).toEqual([]);
    expect(run(d([64500]), [ev({ userId: 'u3', ip: '81.2.69.1', country: 'GB' }), ev({ userId: 'u3', ip: '198.51.100.4', country: 'JP', asn: 64500, at: T0 + MIN })])).toEqual([]);
    // The same network, now said to be in another country: the database changed, not the viewer.
    expect(run(d(), [ev({ userId: 'u4', ip: '81.2.69.1', country: 'GB' }), ev({ userId: 'u4', ip: '81.2.69.2', country: 'AU', at: T0 + MIN })])).toEqual([]);
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
