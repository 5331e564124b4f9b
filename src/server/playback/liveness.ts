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
 */
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { DurableStores, HotState, PlaybackSessionRecord } from '../../core/ports.js';
import { familyRevokedMark } from '../identity/service.js';
import { StoreUnavailableError } from '../stores/unavailable.js';

export const MARK_RECHECK_MS = 2_000;
export const DATABASE_RECHECK_MS = 60_000;

export function sessionEndedMark(sessionId: string): string {
  return `session-ended:${sessionId}`;
}

export class SessionLiveness {
  constructor(
    private readonly stores: DurableStores,
    private readonly hot: HotState,
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
    return grant(session);
  }

  /** The cheap check, from hot-state marks; undefined when the marks cannot be read. */
  async markedDead(session: PlaybackSessionRecord): Promise<boolean | undefined> {
    const now = this.now();
    try {
      const [ended, revoked] = await Promise.all([
        this.hot.isMarked(sessionEndedMark(session.id), now),
        this.hot.isMarked(familyRevokedMark(session.familyId), now),
      ]);
      return ended || revoked;
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
