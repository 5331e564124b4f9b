/**
 * Granting rentals and showing them to their renter. A grant replaces an earlier rental of the
 * same title, first start included: an operator re-granting a title gives a fresh window.
 * How a rental entitles is in entitlement.ts.
 */
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { DurableStores, RentalRecord } from '../../core/ports.js';
import { playbackWindowEndsAt, rentalEndsAt } from '../../core/rental.js';
import type { EntitlementCache } from './entitlement-cache.js';

const HOUR_MS = 3_600_000;
/** The longest rental or playback window the API and CLI accept: a leap year. */
export const MAX_RENTAL_HOURS = 8784;

export interface RentalGrantView {
  readonly title_id: string;
  readonly expires_at: string;
  readonly playback_hours: number | null;
}

export interface RentalView {
  readonly title_id: string;
  readonly expires_at: string;
  /** Null until the first start (or when the rental has no playback window). */
  readonly playback_expires_at: string | null;
}

export async function grantRental(
  stores: DurableStores,
  entitlements: EntitlementCache,
  input: { userId: string; titleId: string; hours: number; playbackHours?: number },
  now: number,
): Promise<Verdict<RentalGrantView>> {
  if ((await stores.users.findById(input.userId)) === undefined) return deny('not_found', 'no such user');
  if ((await stores.titles.get(input.titleId)) === undefined) return deny('not_found', `title "${input.titleId}" does not exist`);
  const rental: RentalRecord = {
    userId: input.userId,
    titleId: input.titleId,
    expiresAt: now + Math.round(input.hours * HOUR_MS),
    playbackMs: input.playbackHours === undefined ? null : Math.round(input.playbackHours * HOUR_MS),
    firstPlayedAt: null,
    createdAt: now,
  };
  await stores.rentals.put(rental);
  // A re-grant may shorten the rental: what instances confirmed for the user goes.
  await entitlements.userChanged(input.userId);
  return grant({ title_id: rental.titleId, expires_at: iso(rental.expiresAt), playback_hours: input.playbackHours ?? null });
}

/** The user's rentals that still entitle (for GET /v1/me). */
export async function currentRentals(stores: DurableStores, userId: string, now: number): Promise<RentalView[]> {
  return (await stores.rentals.listForUser(userId))
    .filter((r) => now < rentalEndsAt(r))
    .map((r) => {
      const playbackEnd = playbackWindowEndsAt(r);
      return { title_id: r.titleId, expires_at: iso(r.expiresAt), playback_expires_at: playbackEnd === null ? null : iso(playbackEnd) };
    });
}

const iso = (ms: number): string => new Date(ms).toISOString();
