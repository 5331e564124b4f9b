/**
 * Stream leases in process memory (single-instance installs and tests): the rule of
 * src/core/stream-limits.ts over a map per account, on the clock passed in. Each operation
 * runs with no await inside, so it is atomic on the one JS thread. Lapsed leases are dropped
 * whenever their account is touched, and an account with no lease is forgotten.
 */
import type { AdmitOutcome, AdmitRequest, StreamLease, StreamLeases } from '../../../core/ports.js';
import { decideAdmission } from '../../../core/stream-limits.js';

export class MemoryStreamLeases implements StreamLeases {
  readonly #accounts = new Map<string, Map<string, StreamLease>>();

  /** epochStartedAt: when this process's memory began (see MemoryHotState). */
  constructor(private readonly epochStartedAt: number) {}

  async knownSince(): Promise<number> {
    return this.epochStartedAt;
  }

  async admit(request: AdmitRequest, now: number): Promise<AdmitOutcome> {
    const leases = this.#live(request.account, now);
    const decision = decideAdmission([...leases.values()], request);
    if (!decision.admit) return { admitted: false, active: [...leases.values()] };
    for (const id of decision.evict) leases.delete(id);
    const held = leases.get(request.streamId);
    leases.set(request.streamId, {
      streamId: request.streamId,
      deviceKey: held?.deviceKey ?? request.deviceKey,
      startedAt: held?.startedAt ?? now,
      lastSeenAt: now,
      expiresAt: now + request.leaseMs,
    });
    this.#accounts.set(request.account, leases);
    return { admitted: true, evicted: decision.evict };
  }

  async renew(account: string, streamId: string, leaseMs: number, now: number): Promise<boolean> {
    const leases = this.#live(account, now);
    const lease = leases.get(streamId);
    if (lease === undefined) return false;
    leases.set(streamId, { ...lease, lastSeenAt: now, expiresAt: now + leaseMs });
    return true;
  }

  async release(account: string, streamId: string, now: number): Promise<void> {
    this.#live(account, now).delete(streamId);
    this.#forgetIfEmpty(account);
  }

  async list(account: string, now: number): Promise<StreamLease[]> {
    return [...this.#live(account, now).values()];
  }

  /** The account's leases with the lapsed ones dropped, in admission (oldest first) order. */
  #live(account: string, now: number): Map<string, StreamLease> {
    const leases = this.#accounts.get(account) ?? new Map<string, StreamLease>();
    for (const [id, lease] of leases) if (lease.expiresAt <= now) leases.delete(id);
    this.#forgetIfEmpty(account);
    return leases;
  }

  #forgetIfEmpty(account: string): void {
    if (this.#accounts.get(account)?.size === 0) this.#accounts.delete(account);
  }
}
