/**
 * Request rate limits, in fixed windows over HotState.hit (in-process, or Redis shared by all
 * instances). Threats: floods that cost the service work or probe it — refresh and logout
 * requests with guessed or stolen refresh tokens, playback starts that create sessions and
 * mint tokens, license requests that mint entitlement messages and unseal keys, admin calls,
 * and guessing the admin token. Addresses are counted by network where one client holds many:
 * an IPv6 client by its /64, which one subscriber line gets whole; IPv4 by the address.
 * Limits are far above what a player or operator does (docs/CONFIGURATION.md); 0 turns one off.
 * Over a limit → 429 `rate_limited` with Retry-After until the window ends.
 *
 * While the shared hot state is away (a Redis outage), each instance counts in its own memory:
 * the limits then hold per instance rather than across them, and a Redis outage neither
 * stops playback starts and licenses that need only the database nor lifts the limits.
 */
import { deny, grant, type Denial, type Verdict } from '../../core/errors.js';
import { ipNetworkOf } from '../../core/playback-token-ip.js';
import type { HotState } from '../../core/ports.js';
import { MemoryHotState } from '../stores/memory/hot-state.js';
import { StoreUnavailableError } from '../stores/unavailable.js';
import { fail } from './problem.js';

/** Requests per window for each limited thing; 0 = no limit. */
export interface RateLimits {
  readonly windowSec: number;
  readonly refreshPerAddress: number;
  readonly playbackPerUser: number;
  readonly playbackPerAddress: number;
  readonly licensePerSession: number;
  readonly licensePerAddress: number;
  readonly adminPerAddress: number;
  /** Wrong admin tokens per address per adminFailureWindowSec; then every admin call is refused. */
  readonly adminFailuresPerAddress: number;
  readonly adminFailureWindowSec: number;
}

/** What is counted, and by what: each pairs with one limit in RateLimits. */
export type RateRule = Exclude<keyof RateLimits, 'windowSec' | 'adminFailureWindowSec' | 'adminFailuresPerAddress'>;

export class RateLimiter {
  /** Counts while the shared hot state is unavailable. */
  private readonly local = new MemoryHotState();

  constructor(
    private readonly hot: HotState,
    private readonly limits: RateLimits,
    private readonly now: () => number,
  ) {}

  /** Counts one request of `subject` (an address, user id or session id) under a rule. */
  async check(rule: RateRule, subject: string): Promise<Verdict<void>> {
    const limit = this.limits[rule];
    if (limit === 0) return ALLOWED;
    const { count, resetInMs } = await this.hit(keyOf(rule, subject), this.limits.windowSec * 1000);
    return count > limit ? tooMany(resetInMs) : ALLOWED;
  }

  /** check, throwing the 429 for the error handler: for routes. */
  async enforce(rule: RateRule, subject: string): Promise<void> {
    const verdict = await this.check(rule, subject);
    if (!verdict.ok) fail(verdict);
  }

  /**
   * Guards a credential check (the admin token) against guessing: each attempt is counted
   * before it is checked (atomically, so a parallel burst cannot all be checked), a success
   * clears the address's count, and over the limit the check is not even made.
   */
  async guardAttempt<T>(address: string, attempt: () => T): Promise<T> {
    const { adminFailuresPerAddress: limit, adminFailureWindowSec } = this.limits;
    if (limit === 0) return attempt();
    const key = keyOf('adminFailures', address);
    const { count, resetInMs } = await this.hit(key, adminFailureWindowSec * 1000);
    if (count > limit) fail(tooMany(resetInMs));
    const result = attempt();
    await Promise.all([this.hot.clear(key).catch(() => {}), this.local.clear(key)]);
    return result;
  }

  private async hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }> {
    const now = this.now();
    try {
      return await this.hot.hit(key, windowMs, now);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      return this.local.hit(key, windowMs, now);
    }
  }
}

const ALLOWED: Verdict<void> = Object.freeze(grant(undefined));

/** The counter's key; addresses by network (see the threat above), anything else as given. */
function keyOf(rule: string, subject: string): string {
  const isAddress = rule.endsWith('PerAddress') || rule === 'adminFailures';
  return `rate:${rule}:${isAddress ? (ipNetworkOf(subject, 32, 64) ?? subject) : subject}`;
}

function tooMany(resetInMs: number): Denial {
  return deny('rate_limited', 'too many requests; try again later', Math.max(1, Math.ceil(resetInMs / 1000)));
}
