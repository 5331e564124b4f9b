/**
 * The concurrent stream limit rule, pure. Threat: account sharing past the plan's limit. Given
 * an account's live leases (oldest first) and a new stream, says whether it is admitted and
 * which streams must end to make room. The memory store applies it as is; the Redis store's
 * Lua script (src/server/stores/redis/stream-leases.ts) is the same rule, step for step.
 */
import type { AdmitRequest, StreamLease } from './ports.js';

export type AdmissionDecision = { readonly admit: true; readonly evict: readonly string[] } | { readonly admit: false };

/** What the limit counts: each stream alone, or all streams of one device together; oldest first. */
function countedUnits(live: readonly StreamLease[], request: AdmitRequest): string[][] {
  if (request.countBy === 'session') return live.map((lease) => [lease.streamId]);
  const byDevice = new Map<string, string[]>();
  for (const lease of live) byDevice.set(lease.deviceKey, [...(byDevice.get(lease.deviceKey) ?? []), lease.streamId]);
  return [...byDevice.values()];
}

export function decideAdmission(live: readonly StreamLease[], request: AdmitRequest): AdmissionDecision {
  if (request.limit === null || live.some((lease) => lease.streamId === request.streamId)) return { admit: true, evict: [] };
  // A device already counted adds nothing when counting by device.
  if (request.countBy === 'device' && live.some((lease) => lease.deviceKey === request.deviceKey)) return { admit: true, evict: [] };
  const units = countedUnits(live, request);
  if (units.length < request.limit) return { admit: true, evict: [] };
  if (request.mode === 'refuse') return { admit: false };
  return { admit: true, evict: units.slice(0, units.length - request.limit + 1).flat() };
}
