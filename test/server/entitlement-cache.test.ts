/**
 * How long a confirmed entitlement is trusted (catalog/entitlement-cache.ts): the cache's time
 * while change notices arrive, a second while they may be missed, never past the end it gave,
 * and not at all after a change to its user or to everyone, including one that raced its read.
 */
import { describe, expect, it } from 'vitest';
import type { ChangeNotices, NoticeListener } from '../../src/core/ports.js';
import { EntitlementCache } from '../../src/server/catalog/entitlement-cache.js';

/** Notices whose liveness the test sets; what one instance publishes, the others hear. */
class TestNotices implements ChangeNotices {
  live_ = true;
  readonly listeners: NoticeListener[] = [];
  async publish(): Promise<void> {}
  listen(_topic: string, listener: NoticeListener): void {
    this.listeners.push(listener);
  }
  live(): boolean {
    return this.live_;
  }
}

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;

function cached(ttlMs = 30_000) {
  const notices = new TestNotices();
  const cache = new EntitlementCache(notices, ttlMs);
  const confirm = (user: string, title: string, until: number, at = T0) => cache.remember(user, title, cache.ticket(), at, until);
  return { notices, cache, confirm };
}

describe('the entitlement cache', () => {
  it('trusts a confirmation for its time while notices arrive, then asks again', () => {
    const { cache, confirm } = cached();
    confirm('u1', 'movie', Number.POSITIVE_INFINITY);
    expect(cache.get('u1', 'movie', T0 + 29_999)).toBe(Number.POSITIVE_INFINITY);
    expect(cache.get('u1', 'movie', T0 + 30_000)).toBeUndefined();
    expect(cache.get('u1', 'other', T0)).toBeUndefined();
  });

  it('never trusts it past the end it gave (a rental)', () => {
    const { cache, confirm } = cached();
    confirm('u1', 'movie', T0 + 5_000);
    expect(cache.get('u1', 'movie', T0 + 4_999)).toBe(T0 + 5_000);
    expect(cache.get('u1', 'movie', T0 + 5_000)).toBeUndefined();
  });

  it('trusts it for a second only while notices may be missed', () => {
    const { notices, cache, confirm } = cached();
    confirm('u1', 'movie', T0 + HOUR);
    notices.live_ = false;
    expect(cache.get('u1', 'movie', T0 + 999)).toBe(T0 + HOUR);
    expect(cache.get('u1', 'movie', T0 + 1_000)).toBeUndefined();
  });

  it('asks every time with a time of 0', () => {
    const { cache, confirm } = cached(0);
    confirm('u1', 'movie', T0 + HOUR);
    expect(cache.get('u1', 'movie', T0)).toBeUndefined();
  });

  it('forgets a user on its change (heard or made here), and everyone on a plan change or lost notices', async () => {
    const { notices, cache, confirm } = cached();
    for (const user of ['u1', 'u2']) confirm(user, 'movie', T0 + HOUR);
    notices.listeners[0]!.notice('user:u1');
    expect(cache.get('u1', 'movie', T0)).toBeUndefined();
    expect(cache.get('u2', 'movie', T0)).toBe(T0 + HOUR);
    confirm('u1', 'movie', T0 + HOUR); // read again after the change: kept
    expect(cache.get('u1', 'movie', T0)).toBe(T0 + HOUR);
    await cache.userChanged('u2');
    expect(cache.get('u2', 'movie', T0)).toBeUndefined();
    expect(cache.get('u1', 'movie', T0)).toBe(T0 + HOUR);
    notices.listeners[0]!.missed();
    expect(cache.get('u1', 'movie', T0)).toBeUndefined();
    confirm('u1', 'movie', T0 + HOUR);
    await cache.everyoneChanged();
    expect(cache.get('u1', 'movie', T0)).toBeUndefined();
  });

  it('does not keep an answer whose read raced a change', async () => {
    const { cache } = cached();
    const ticket = cache.ticket(); // the database read begins…
    await cache.userChanged('u1'); // …the user changes meanwhile…
    cache.remember('u1', 'movie', ticket, T0, T0 + HOUR); // …and the read's (old) answer arrives
    expect(cache.get('u1', 'movie', T0)).toBeUndefined();
    const everyone = cache.ticket();
    await cache.everyoneChanged();
    cache.remember('u2', 'movie', everyone, T0, T0 + HOUR);
    expect(cache.get('u2', 'movie', T0)).toBeUndefined();
  });

  it('forgets a refusal: "not entitled" is never cached', () => {
    const { cache, confirm } = cached();
    confirm('u1', 'movie', T0 + HOUR);
    cache.remember('u1', 'movie', cache.ticket(), T0, undefined);
    expect(cache.get('u1', 'movie', T0)).toBeUndefined();
  });
});
