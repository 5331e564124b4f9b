/**
 * Rate limits through a hot-state outage: each instance counts in its own memory, so a Redis
 * outage neither lifts the limits nor turns every limited request into a 503.
 */
import { describe, expect, it } from 'vitest';
import type { HotState } from '../../src/core/ports.js';
import { RateLimiter, type RateLimits } from '../../src/server/http/rate-limit.js';
import { MemoryHotState } from '../../src/server/stores/memory/hot-state.js';
import { StoreUnavailableError } from '../../src/server/stores/unavailable.js';

const limits: RateLimits = {
  windowSec: 60,
  refreshPerAddress: 3,
  playbackPerUser: 3,
  playbackPerAddress: 3,
  licensePerSession: 3,
  licensePerAddress: 3,
  adminPerAddress: 3,
  adminFailuresPerAddress: 3,
  adminFailureWindowSec: 60,
};

/** A hot state whose server is away while `down` is true. */
function flakyHotState(state: { down: boolean }): HotState {
  const inner = new MemoryHotState();
  return new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        state.down ? Promise.reject(new StoreUnavailableError('Redis', new Error('connect ECONNREFUSED'))) : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
}

describe('rate limits while the hot state is away', () => {
  it('still refuses past the limit, counting on this instance', async () => {
    const state = { down: true };
    const limiter = new RateLimiter(flakyHotState(state), limits, () => 1_000);
    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push((await limiter.check('playbackPerUser', 'user-1')).ok);
    expect(verdicts).toEqual([true, true, true, false, false]);
    expect((await limiter.check('playbackPerUser', 'user-2')).ok).toBe(true);
  });

  it('goes back to the shared counters once the hot state answers', async () => {
    const state = { down: false };
    const hot = flakyHotState(state);
    const limiter = new RateLimiter(hot, limits, () => 1_000);
    await limiter.check('licensePerSession', 's');
    state.down = true;
    await limiter.check('licensePerSession', 's');
    state.down = false;
    expect(await hot.hit('rate:licensePerSession:s', 60_000, 1_000)).toMatchObject({ count: 2 });
  });
});
