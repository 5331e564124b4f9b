/**
 * Is a playback session still alive? Threat: a URL copied out of a session that keeps working
 * after the session was stopped or its login revoked. The first check of a token on an
 * instance asks the database (authoritative); after that, hot-state marks set when a session
 * ends or a login is revoked are consulted every few seconds, and the database again every
 * minute, so an ended session stops everywhere within seconds (with Redis) and within a
 * minute even on instances that share only the database.
 *
 * Hot-state trouble must not stretch "seconds" into that minute: marks that cannot be read
 * (Redis away or frozen) or may have been lost (Redis reconnected, perhaps restarted empty)
 * send the check to the database at once.
 *
 * Both checks also renew the stream's lease (streams/limiter.ts): a session that no longer
 * holds a slot under its plan's stream limit (evicted, lapsed, lost with the hot state) is
 * dead too, so its segments stop within MARK_RECHECK_MS.
 */
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { DurableStores, HotState, PlaybackSessionRecord } from '../../core/ports.js';
import { familyRevokedMark } from '../identity/service.js';
import { StoreUnavailableError } from '../stores/unavailable.js';
import { LOST_SLOT, type StreamLimiter } from '../streams/limiter.js';

export const MARK_RECHECK_MS = 2_000;
export const DATABASE_RECHECK_MS = 60_000;

export function sessionEndedMark(sessionId: string): string {
  return `session-ended:${sessionId}`;
}

export class SessionLiveness {
  constructor(
    private readonly stores: DurableStores,
    private readonly hot: HotState,
    private readonly streams: StreamLimiter,
    private readonly now: () => number,
  ) {}

  /** The authoritative check, from the database. */
  async check(sessionId: string): Promise<Verdict<PlaybackSessionRecord>> {
    const session = await this.stores.playbackSessions.get(sessionId);
    if (session === undefined) return deny('invalid_token', 'the playback session is not known');
    if (session.endedAt !== null) return deny('token_revoked', 'the playback session has ended');
    const family = await this.stores.refreshTokens.getFamily(session.familyId);
    if (family === undefined || family.revokedAt !== null) return deny('token_revoked', 'the login of this playback session was revoked');
    // Token expiry already bounds both; this holds for sessions started before that bound existed.
    const now = this.now();
    if (now >= session.expiresAt || now >= family.expiresAt) return deny('token_expired', 'the playback session has expired');
    const slot = await this.holdsSlot(session);
    return slot.ok ? grant(session) : slot;
  }

  /**
   * A sign of life of the stream: renews its lease; refused once it holds no slot. With the
   * hot state away the lease cannot be renewed, but nothing can be admitted either, so an
   * admitted stream keeps playing (ended ones are still refused by the database check).
   */
  async holdsSlot(session: PlaybackSessionRecord): Promise<Verdict<void>> {
    try {
      return (await this.streams.renew(session)) ? grant(undefined) : deny('token_revoked', LOST_SLOT);
    } catch (error) {
      if (error instanceof StoreUnavailableError) return grant(undefined);
      throw error;
    }
  }

  /** The cheap check, from hot-state marks; undefined when the marks cannot be read. */
  async markedDead(session: PlaybackSessionRecord): Promise<boolean | undefined> {
    const now = this.now();
    try {
      const [ended, revoked] = await Promise.all([
        this.hot.isMarked(sessionEndedMark(session.id), now),
        this.hot.isMarked(familyRevokedMark(session.familyId), now),
      ]);
      if (ended || revoked) return true;
      return !(await this.holdsSlot(session)).ok;
    } catch (error) {
      if (error instanceof StoreUnavailableError) return undefined;
      throw error;
    }
  }

  /** Changes when marks set earlier may have been lost (see HotState.generation). */
  marksGeneration(): number {
    return this.hot.generation();
  }
}
