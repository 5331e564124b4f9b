/**
 * Concurrent stream limits (issue 9), the service side. Threat: one account shared by more
 * viewers than its plan allows, including through a modified player that never calls the API.
 * Every stream holds a lease in hot state (StreamLeases: atomic, on the store's clock):
 *   1. POST /v1/playback admits it (refused at the limit, or the oldest stream ends);
 *   2. every AES-128 key and license request renews it and is refused once it is gone;
 *   3. manifests renew it, and the gateway's liveness check every MARK_RECHECK_MS renews it
 *      too, so segments of an evicted or lapsed stream stop within that time.
 * A stream whose lease lapsed (no sign of life for the lease period) holds no slot and is
 * refused. Hot-state loss (a Redis restart keeps nothing; so does an embedded-mode process
 * restart) is rebuilt from the database, lazily and never past the limit: a live session
 * started before the hot state's epoch that finds no lease is admitted again, atomically and
 * in refuse mode, as if it were starting; if the account's slots were taken meanwhile it is
 * refused. While the hot state is away nothing can be admitted (POST /v1/playback answers 503),
 * so streams already admitted keep playing (liveness.ts) without the count ever growing.
 */
import { deny, denyWith, grant, type Verdict } from '../../core/errors.js';
import type { AdmitRequest, DurableStores, HotState, PlanRecord, PlaybackSessionRecord, RefreshFamily, StreamLease, StreamLimitMode } from '../../core/ports.js';
import { sessionEndedMark } from '../playback/liveness.js';

/** A stream to admit: its account, login (and that login's device, if it named one) and plan. */
export interface StreamStart {
  readonly userId: string;
  readonly familyId: string;
  readonly deviceId: string | null;
  readonly streamId: string;
  readonly plan: PlanRecord;
}

/** A live stream's session and login. */
type Live = { session: PlaybackSessionRecord; family: RefreshFamily };
type StreamState = Live | 'starting' | undefined;

/** One active stream as the API lists it (GET /v1/playback, the 409 body). */
export interface ActiveStream {
  readonly session_id: string;
  readonly title_id: string;
  readonly device_id: string | null;
  readonly device_name: string | null;
  readonly started_at: string;
  readonly last_seen_at: string;
}

export const LOST_SLOT = 'the stream no longer holds a slot under the plan\'s stream limit (it ended, was evicted or showed no sign of life)';

export class StreamLimiter {
  constructor(
    private readonly stores: DurableStores,
    private readonly hot: HotState,
    private readonly settings: { leaseMs: number; endedMarkTtlMs: number },
    private readonly now: () => number,
  ) {}

  /**
   * Takes a slot for a new stream of the login's device, before the session exists; in
   * evict_oldest mode the streams it displaced are ended here.
   */
  async admit(input: StreamStart): Promise<Verdict<void>> {
    const request = this.request(input, input.plan.streamLimitMode);
    let outcome = await this.hot.leases.admit(request, this.now());
    // Slots held by streams that ended another way (their login was revoked, they expired)
    // until their leases lapse: free them and ask once more, rather than refuse the viewer.
    // The database is read once per lease: a refused burst costs it little.
    let states = outcome.admitted ? undefined : await this.statesOf(outcome.active);
    if (!outcome.admitted && (await this.releaseDead(input.userId, outcome.active, states!)) > 0) {
      outcome = await this.hot.leases.admit(request, this.now());
      states = outcome.admitted ? undefined : await this.statesOf(outcome.active);
    }
    if (!outcome.admitted) {
      const unit = input.plan.countBy === 'device' ? 'devices' : 'streams';
      return denyWith('stream_limit_reached', `your plan allows ${input.plan.maxStreams} ${unit} at once; stop one of the active streams to start this one`, {
        active_streams: await this.describe(input.userId, outcome.active, states!),
      });
    }
    for (const evicted of outcome.evicted) await this.end(evicted, 'evicted', this.now());
    return grant(undefined);
  }

  /** A sign of life: keeps the stream's slot; false when it holds none any more. */
  async renew(session: PlaybackSessionRecord): Promise<boolean> {
    if (await this.hot.leases.renew(session.userId, session.id, this.settings.leaseMs, this.now())) return true;
    if (session.createdAt >= (await this.hot.leases.knownSince(session.userId))) return false;
    // Its lease may have been lost with the hot state: take a slot again if one is free, and
    // only for a session the database still says is live (an evicted one has ended there).
    const live = await this.alive(session.id);
    if (live === undefined) return false;
    const user = await this.stores.users.findById(session.userId);
    const plan = user && (await this.stores.plans.get(user.planId));
    if (plan === undefined) return false;
    const request = this.request({ userId: session.userId, familyId: session.familyId, deviceId: live.family.deviceId, streamId: session.id, plan }, 'refuse');
    return (await this.hot.leases.admit(request, this.now())).admitted;
  }

  private request(input: StreamStart, mode: StreamLimitMode): AdmitRequest {
    return {
      account: input.userId,
      streamId: input.streamId,
      // A login without a device id is a device of its own.
      deviceKey: input.deviceId !== null ? `device:${input.deviceId}` : `login:${input.familyId}`,
      limit: input.plan.maxStreams,
      mode,
      countBy: input.plan.countBy,
      leaseMs: this.settings.leaseMs,
    };
  }

  /** The heartbeat route: a live stream of the user's keeps its slot. */
  async heartbeat(userId: string, sessionId: string): Promise<Verdict<void>> {
    const session = await this.stores.playbackSessions.get(sessionId);
    if (session === undefined || session.userId !== userId) return deny('not_found', 'no such playback session');
    if (session.endedAt !== null || !(await this.renew(session))) return deny('stream_limit_reached', `${LOST_SLOT}; start playback again`);
    return grant(undefined);
  }

  release(session: Pick<PlaybackSessionRecord, 'userId' | 'id'>): Promise<void> {
    return this.hot.leases.release(session.userId, session.id, this.now());
  }

  /** The user's streams that hold a slot, oldest first. */
  async active(userId: string): Promise<ActiveStream[]> {
    const leases = await this.hot.leases.list(userId, this.now());
    return this.describe(userId, leases, await this.statesOf(leases));
  }

  /** Ends a stream for good: in the database, and marked so every instance's gateway stops it. */
  private async end(sessionId: string, reason: string, now: number): Promise<void> {
    await this.stores.playbackSessions.end(sessionId, reason, now);
    await this.hot.mark(sessionEndedMark(sessionId), this.settings.endedMarkTtlMs, now);
  }

  /** The session and its login, if both are still live in the database. */
  private async alive(sessionId: string): Promise<Live | undefined> {
    const state = await this.stateOf(sessionId);
    return state === 'starting' ? undefined : state;
  }

  /**
   * What the database says of a stream: live (with its session and login), ended (undefined),
   * or 'starting' (no session yet: a start on its way to the database; a failed one releases
   * its own lease).
   */
  private async stateOf(sessionId: string): Promise<StreamState> {
    const now = this.now();
    const session = await this.stores.playbackSessions.get(sessionId);
    if (session === undefined) return 'starting';
    if (session.endedAt !== null || now >= session.expiresAt) return undefined;
    const family = await this.stores.refreshTokens.getFamily(session.familyId);
    if (family === undefined || family.revokedAt !== null || now >= family.expiresAt) return undefined;
    return { session, family };
  }

  private async statesOf(leases: readonly StreamLease[]): Promise<Map<string, StreamState>> {
    return new Map(await Promise.all(leases.map(async (lease) => [lease.streamId, await this.stateOf(lease.streamId)] as const)));
  }

  /** Releases the leases of streams the database says have ended; returns how many. */
  private async releaseDead(account: string, leases: readonly StreamLease[], states: ReadonlyMap<string, StreamState>): Promise<number> {
    let released = 0;
    for (const lease of leases) {
      if (states.get(lease.streamId) !== undefined) continue;
      await this.hot.leases.release(account, lease.streamId, this.now());
      released += 1;
    }
    return released;
  }

  private async describe(userId: string, leases: readonly StreamLease[], states: ReadonlyMap<string, StreamState>): Promise<ActiveStream[]> {
    const names = new Map((await this.stores.devices.list(userId)).map((d) => [d.deviceId, d.name]));
    const streams: ActiveStream[] = [];
    for (const lease of leases) {
      const live = states.get(lease.streamId);
      if (live === undefined || live === 'starting') continue;
      const { session, family } = live;
      streams.push({
        session_id: session.id,
        title_id: session.titleId,
        device_id: family.deviceId,
        device_name: family.deviceId === null ? null : (names.get(family.deviceId) ?? null),
        started_at: new Date(lease.startedAt).toISOString(),
        last_seen_at: new Date(lease.lastSeenAt).toISOString(),
      });
    }
    return streams;
  }
}
