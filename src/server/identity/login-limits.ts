/**
 * Login attempt limits. Threats: online password guessing (many guesses at one account, from
 * one address or spread over many; one address guessing across many accounts); a parallel
 * burst slipping past a read-then-write counter; and the reverse, an attacker using the limits
 * to lock the real user out of their account.
 *
 * Every attempt reserves its place on its counters before the password is checked
 * (HotState.reserve: check and count in one atomic step, in-process or one Lua script on
 * Redis), so of a parallel burst, on one instance or many, only the allowed number is ever
 * evaluated. A failure keeps its reservations: they are the failures counted. A success gives
 * them back. Counters, each over the failure window:
 *  - address: failures from one client address on any account;
 *  - account+address: failures on one account from one address. This is the lock guessing
 *    trips, and it holds only for the address the guesses come from;
 *  - account total: failures on one account from addresses that have never logged in to it,
 *    a much higher ceiling against guesses spread over many addresses. An address that has
 *    logged in to the account before (remembered as long as a login lasts) is exempt, so a
 *    distributed attack cannot lock the user out of their usual network.
 * Addresses are IPv4 exact and IPv6 by /64 (one subscriber's network: rotating within it
 * buys nothing); IPv4-mapped IPv6 counts as the IPv4 address.
 */
import { deny, grant, type Verdict } from '../../core/errors.js';
import { ipNetworkOf } from '../../core/playback-token-ip.js';
import type { HotState } from '../../core/ports.js';

export interface LoginLimitSettings {
  /** Failures on one account from one address. */
  readonly maxFailuresPerAccount: number;
  /** Failures from one address across accounts. */
  readonly maxFailuresPerAddress: number;
  /** Failures on one account from all addresses it has not logged in from. */
  readonly maxFailuresPerAccountTotal: number;
  readonly failureWindowSec: number;
  /** How long an address that logged in stays exempt from the account total. */
  readonly knownAddressTtlSec: number;
}

/** A reserved attempt; a failure needs no call (its reservations stay counted). */
export interface LoginAttempt {
  /** The password was right: gives the reservations back and remembers the address. */
  succeeded(): Promise<void>;
  /** The password was not checked (e.g. the server was busy): gives the reservations back. */
  abandoned(): Promise<void>;
}

/** The counter bucket of a client address: IPv4 exact, IPv6 by /64. */
export function addressBucket(clientIp: string): string {
  return ipNetworkOf(clientIp, 32, 64) ?? clientIp;
}

export class LoginLimits {
  constructor(
    private readonly hot: HotState,
    private readonly settings: LoginLimitSettings,
  ) {}

  /** Reserves one attempt on every counter that applies, or refuses (429) without counting. */
  async begin(email: string, clientIp: string, now: number): Promise<Verdict<LoginAttempt>> {
    const { settings, hot } = this;
    const address = addressBucket(clientIp);
    const knownKey = `login-known:${email}|${address}`;
    const pairKey = `login-failures:account-address:${email}|${address}`;
    const counters = [
      { key: `login-failures:address:${address}`, limit: settings.maxFailuresPerAddress },
      { key: pairKey, limit: settings.maxFailuresPerAccount },
    ];
    if (!(await hot.isMarked(knownKey, now))) {
      counters.push({ key: `login-failures:account:${email}`, limit: settings.maxFailuresPerAccountTotal });
    }
    const windowMs = settings.failureWindowSec * 1000;
    const results = await Promise.all(counters.map(({ key, limit }) => hot.reserve(key, limit, windowMs, now)));
    const release = async (keys: readonly string[]) => {
      await Promise.all(keys.map((key) => hot.release(key, now)));
    };
    const taken = counters.filter((_, i) => results[i]!.taken).map((c) => c.key);
    if (taken.length < counters.length) {
      await release(taken);
      const waitMs = Math.max(...results.filter((r) => !r.taken).map((r) => r.resetInMs));
      return deny('rate_limited', 'too many failed logins; try again later', Math.ceil(waitMs / 1000));
    }
    return grant({
      succeeded: async () => {
        // The user's own earlier typos from this address are forgiven; failures elsewhere are not.
        await Promise.all([
          release(taken.filter((key) => key !== pairKey)),
          hot.clear(pairKey),
          hot.mark(knownKey, settings.knownAddressTtlSec * 1000, now),
        ]);
      },
      abandoned: () => release(taken),
    });
  }
}
