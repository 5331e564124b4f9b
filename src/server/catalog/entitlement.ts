/**
 * Who may watch a title, and until when. Threats: a rental watched past its end (new starts,
 * keys and licenses after expiry, a running session or a license that outlives it, a playback
 * window restarted by starting again), and a disabled account that keeps watching. A plan that
 * covers the title entitles without an end of its own; otherwise a rental entitles until
 * rentalEndsAt. Every playback start, key and license request asks here.
 */
import { rentalEndsAt } from '../../core/rental.js';
import type { DurableStores, UserRecord } from '../../core/ports.js';

/** The end of an entitlement that has none of its own (the plan's): later bounds still apply. */
export const NO_END = Number.POSITIVE_INFINITY;

/**
 * Until when (Unix ms) the user is entitled to the title, or undefined when it is not (now).
 * `start`: this is a playback start, which records a rental's first start (once, atomically),
 * so the playback window runs from the first start however often the viewer starts.
 */
export async function entitledUntil(stores: DurableStores, user: UserRecord, titleId: string, now: number, start = false): Promise<number | undefined> {
  if (user.disabledAt !== null) return undefined;
  const plan = await stores.plans.get(user.planId);
  if (plan !== undefined && (plan.titles === '*' || plan.titles.includes(titleId))) return NO_END;
  const rental = await (start ? stores.rentals.recordStart(user.id, titleId, now) : stores.rentals.get(user.id, titleId));
  const end = rental === undefined ? undefined : rentalEndsAt(rental);
  return end !== undefined && now < end ? end : undefined;
}
