/** The stream limit rule, pure: what the memory store applies and the Redis script mirrors. */
import { describe, expect, it } from 'vitest';
import type { AdmitRequest, StreamLease } from '../../src/core/ports.js';
import { decideAdmission } from '../../src/core/stream-limits.js';

const lease = (streamId: string, deviceKey = `dev-${streamId}`): StreamLease => ({ streamId, deviceKey, startedAt: 0, lastSeenAt: 0, expiresAt: 1 });
const request = (overrides: Partial<AdmitRequest> = {}): AdmitRequest => ({
  account: 'a',
  streamId: 'new',
  deviceKey: 'dev-new',
  limit: 2,
  mode: 'refuse',
  countBy: 'session',
  leaseMs: 1,
  ...overrides,
});

describe('decideAdmission', () => {
  it('admits under the limit and refuses at it', () => {
    expect(decideAdmission([lease('s1')], request())).toEqual({ admit: true, evict: [] });
    expect(decideAdmission([lease('s1'), lease('s2')], request())).toEqual({ admit: false });
  });

  it('admits without a limit, and a stream that already holds a slot', () => {
    expect(decideAdmission([lease('s1'), lease('s2')], request({ limit: null }))).toEqual({ admit: true, evict: [] });
    expect(decideAdmission([lease('s1'), lease('new')], request({ limit: 1 }))).toEqual({ admit: true, evict: [] });
  });

  it('evicts as many of the oldest as make room, even when the limit was lowered', () => {
    expect(decideAdmission([lease('s1'), lease('s2')], request({ mode: 'evict_oldest' }))).toEqual({ admit: true, evict: ['s1'] });
    expect(decideAdmission([lease('s1'), lease('s2'), lease('s3')], request({ mode: 'evict_oldest', limit: 1 }))).toEqual({ admit: true, evict: ['s1', 's2', 's3'] });
  });

  it('counts a device once, admits more streams on a counted device, and evicts whole devices', () => {
    const live = [lease('a1', 'tv'), lease('b1', 'phone'), lease('a2', 'tv')];
    const byDevice = request({ countBy: 'device' });
    expect(decideAdmission(live, { ...byDevice, deviceKey: 'tv' })).toEqual({ admit: true, evict: [] });
    expect(decideAdmission(live, { ...byDevice, deviceKey: 'laptop' })).toEqual({ admit: false });
    expect(decideAdmission(live, { ...byDevice, deviceKey: 'laptop', mode: 'evict_oldest' })).toEqual({ admit: true, evict: ['a1', 'a2'] });
  });
});
