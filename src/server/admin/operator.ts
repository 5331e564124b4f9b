/**
 * The operator's tools: find a user with its devices and streams, change its plan, disable it,
 * revoke everything it is logged in with, reset its second factor, list and end streams. Threats: an account that keeps
 * watching after an operator acts on it. So revoking a user revokes every login (refresh
 * family) and ends every stream in the database, and sets the hot-state marks the gateways
 * check every 2 s (family-revoked, session-ended); disabling does the same and also stops new
 * logins, refreshes and every request with the user's access tokens (identity/service.ts).
 */
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { DurableStores, HotState, PlaybackSessionRecord, UserRecord } from '../../core/ports.js';
import type { EntitlementCache } from '../catalog/entitlement-cache.js';
import type { IdentityService } from '../identity/service.js';
import { sessionEndedMark } from '../playback/liveness.js';
import { type DeviceView, deviceView } from '../identity/devices.js';

/** The most users or streams one answer lists. */
export const LIST_LIMIT = 1000;

export interface StreamView {
  readonly session_id: string;
  readonly user_id: string;
  readonly title_id: string;
  readonly protocol: string;
  readonly device_id: string | null;
  readonly started_at: string;
  readonly expires_at: string;
}

export interface OperatorUserView {
  readonly user_id: string;
  readonly email: string;
  readonly plan_id: string;
  readonly disabled: boolean;
  readonly created_at: string;
  readonly devices: readonly DeviceView[];
  readonly streams: readonly StreamView[];
}

export class OperatorService {
  constructor(
    private readonly stores: DurableStores,
    private readonly hot: HotState,
    private readonly identity: IdentityService,
    private readonly entitlements: EntitlementCache,
    private readonly now: () => number,
  ) {}

  /** One user by email, or every user (at most LIST_LIMIT), each with devices and streams. */
  async findUsers(email?: string): Promise<OperatorUserView[]> {
    const users = email === undefined ? await this.stores.users.list(LIST_LIMIT) : [await this.stores.users.findByEmail(email)];
    return Promise.all(users.filter((u): u is UserRecord => u !== undefined).map((u) => this.userView(u)));
  }

  async updateUser(userId: string, changes: { planId?: string; disabled?: boolean }): Promise<Verdict<OperatorUserView>> {
    if (changes.planId !== undefined && (await this.stores.plans.get(changes.planId)) === undefined) {
      return deny('not_found', `plan "${changes.planId}" does not exist`);
    }
    const user = await this.stores.users.findById(userId);
    if (user === undefined) return deny('not_found', 'no such user');
    // Disabling an already disabled user keeps the first time; enabling clears it.
    const disabledAt = changes.disabled === undefined ? undefined : changes.disabled ? (user.disabledAt ?? this.now()) : null;
    if (!(await this.stores.users.update(userId, { ...(changes.planId !== undefined ? { planId: changes.planId } : {}), ...(disabledAt !== undefined ? { disabledAt } : {}) }))) {
      return deny('not_found', 'no such user');
    }
    // Flag first, then revoke: a login racing the switch is refused at its next refresh or request.
    if (changes.disabled === true) await this.endEverything(userId, 'user_disabled');
    // Then every instance forgets what it confirmed for the user (its plan may have changed).
    await this.entitlements.userChanged(userId);
    return grant(await this.userView((await this.stores.users.findById(userId))!));
  }

  /** Every login and stream of the user ends. */
  async revokeUser(userId: string): Promise<Verdict<void>> {
    if ((await this.stores.users.findById(userId)) === undefined) return deny('not_found', 'no such user');
    await this.endEverything(userId, 'revoked_by_operator');
    return grant(undefined);
  }

  /**
   * Turns the user's second factor off (a user who lost the authenticator and the recovery
   * codes) and ends every login and stream: whoever holds a login made before the reset keeps
   * nothing, and the user logs in anew with the password and enrols again.
   */
  async resetMfa(userId: string): Promise<Verdict<void>> {
    if ((await this.stores.users.findById(userId)) === undefined) return deny('not_found', 'no such user');
    await this.stores.mfa.remove(userId);
    await this.endEverything(userId, 'mfa_reset');
    return grant(undefined);
  }

  async listSessions(filter: { userId?: string; titleId?: string }): Promise<StreamView[]> {
    return (await this.stores.playbackSessions.listActive(filter, this.now(), LIST_LIMIT)).map(streamView);
  }

  async endSession(sessionId: string): Promise<Verdict<void>> {
    const session = await this.stores.playbackSessions.get(sessionId);
    if (session === undefined) return deny('not_found', 'no such playback session');
    const now = this.now();
    if (session.endedAt === null) await this.stores.playbackSessions.end(session.id, 'ended_by_operator', now);
    // Marked even when it had ended before: a retry after a failed mark (503) must take effect.
    await this.markEnded(session, now);
    return grant(undefined);
  }

  /**
   * Every session belongs to a login, so the family-revoked marks alone stop them all; they are
   * set for every revoked login of the user, not only those revoked now, so that a retry after
   * a failed mark (503) takes effect.
   */
  private async endEverything(userId: string, reason: string): Promise<void> {
    const now = this.now();
    const families = await this.stores.refreshTokens.revokeForUser(userId, reason, now);
    const sessions = await this.stores.playbackSessions.endForUser(userId, reason, now);
    await Promise.all([...families.map((f) => this.identity.markRevoked(f.id)), ...sessions.map((s) => this.markEnded(s, now))]);
  }

  private markEnded(session: PlaybackSessionRecord, now: number): Promise<void> {
    return this.hot.mark(sessionEndedMark(session.id), Math.max(1, session.expiresAt - now), now);
  }

  private async userView(user: UserRecord): Promise<OperatorUserView> {
    const [devices, streams] = await Promise.all([this.stores.devices.list(user.id).then((devices) => devices.map(deviceView)), this.listSessions({ userId: user.id })]);
    return {
      user_id: user.id,
      email: user.email,
      plan_id: user.planId,
      disabled: user.disabledAt !== null,
      created_at: new Date(user.createdAt).toISOString(),
      devices,
      streams,
    };
  }
}


function streamView(s: PlaybackSessionRecord & { deviceId: string | null }): StreamView {
  return {
    session_id: s.id,
    user_id: s.userId,
    title_id: s.titleId,
    protocol: s.protocol,
    device_id: s.deviceId,
    started_at: new Date(s.createdAt).toISOString(),
    expires_at: new Date(s.expiresAt).toISOString(),
  };
}
