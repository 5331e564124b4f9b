/**
 * Playback authorization (flow 2 of docs/ARCHITECTURE.md): an entitled subscriber starts a playback
 * session and gets URLs carrying a playback token bound to that session, the title, a path
 * scope and an expiry (optionally the client's network and user agent). Ending the session
 * — or revoking the login it came from — kills those URLs within seconds (see liveness.ts).
 * A session never outlives the login that started it, nor a rental that entitles it: its
 * expiry is capped at the login's end and at the rental's end. A session starts only with a
 * slot under the plan's stream limit (src/server/streams/limiter.ts).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { deny, grant, type Verdict } from '../../core/errors.js';
import { hashUserAgent, type HmacSha256 } from '../../core/playback-token-crypto.js';
import { ipNetworkOf } from '../../core/playback-token-ip.js';
import { mintPlaybackJwt } from '../../core/playback-token-jwt.js';
import { mintPlaybackToken } from '../../core/playback-token.js';
import type { DurableStores, HotState, PlaybackSessionRecord } from '../../core/ports.js';
import type { AccessGuard, ClientPlace } from '../access/guard.js';
import type { Config } from '../config.js';
import type { Principal } from '../identity/service.js';
import { entitledUntil } from '../catalog/entitlement.js';
import type { StreamLimiter } from '../streams/limiter.js';
import type { WmTokens } from '../watermark/wm-tokens.js';
import { sessionEndedMark } from './liveness.js';
import type { PlaybackKeyRing } from './playback-keys.js';

export const nodeHmac: HmacSha256 = (key, data) => createHmac('sha256', key).update(data).digest();

export interface ClientInfo extends ClientPlace {
  readonly userAgent: string;
}

export interface PlaybackGrant {
  readonly session_id: string;
  readonly manifest_url: string;
  /** The entitlement proxy for this session (DASH/CENC titles): the player posts bare CDM requests here. */
  readonly license_url?: string;
  readonly expires_at: string;
  /** Watermarked titles, when TOLLGATE_WM_TOKEN_KEY is set: the ETSI TS 104 002 WM token for a CDN edge. */
  readonly wm_token?: string;
}

export interface PlaybackStart {
  readonly response: PlaybackGrant;
  /** The playback token, for the route to set as a cookie in cookie mode. */
  readonly token: string;
}

/** Where each protocol's manifest sits under a title's media folder. */
export const MANIFESTS: Readonly<Record<string, string>> = { hls: 'hls/master.m3u8', dash: 'dash/manifest.mpd' };

export class PlaybackService {
  constructor(
    private readonly stores: DurableStores,
    private readonly hot: HotState,
    private readonly keys: PlaybackKeyRing,
    private readonly limiter: StreamLimiter,
    private readonly access: AccessGuard,
    private readonly config: Config,
    private readonly now: () => number,
    private readonly wmTokens: WmTokens,
  ) {}

  async start(principal: Principal, input: { titleId: string; protocol?: string }, client: ClientInfo): Promise<Verdict<PlaybackStart>> {
    const title = await this.stores.titles.get(input.titleId);
    if (title === undefined) return deny('not_found', `title "${input.titleId}" does not exist`);
    // The login's own record decides, never a claim the client could choose.
    const plan = await this.stores.plans.get(principal.user.planId);
    if (plan?.requireMfa === true && !principal.mfa) {
      return deny('mfa_required', 'your plan plays only for logins with a second factor: turn on two-factor login and log in with a code');
    }
    // The watchtower's require_mfa response (monitor/responses.ts), until the operator clears it.
    if (!principal.mfa && (await this.stores.watchtower.mfaRequired(principal.userId))) {
      return deny('mfa_required', 'unusual activity on this account: log in again with a code from your authenticator app to play');
    }
    const protocol = input.protocol ?? title.protocols[0] ?? 'hls';
    if (!title.protocols.includes(protocol)) {
      return deny('not_found', `title "${title.id}" is not packaged for ${protocol} (it has: ${title.protocols.join(', ')})`);
    }
    const now = this.now();
    // Entitled at all? A rental's first start is recorded only below, once the start goes ahead.
    if (plan === undefined || (await entitledUntil(this.stores, principal.user, title.id, now)) === undefined) {
      return deny('not_entitled', `neither your plan nor a rental covers "${title.id}"`);
    }
    const place = this.access.check([title.access, plan.access], client);
    if (!place.ok) return place;
    const id = randomUUID();
    const admitted = await this.limiter.admit({ userId: principal.userId, familyId: principal.familyId, deviceId: principal.deviceId, streamId: id, plan });
    if (!admitted.ok) return admitted;
    const entitlementEnd = await entitledUntil(this.stores, principal.user, title.id, now, true);
    if (entitlementEnd === undefined) {
      // The rental ended in between: give the slot back.
      await this.limiter.release({ userId: principal.userId, id });
      return deny('not_entitled', `neither your plan nor a rental covers "${title.id}"`);
    }
    const expiresAt = Math.min(now + this.config.playbackTokenTtlSec * 1000, principal.familyExpiresAt, entitlementEnd);
    const session: PlaybackSessionRecord = {
      id,
      userId: principal.userId,
      familyId: principal.familyId,
      titleId: title.id,
      protocol,
      createdAt: now,
      expiresAt,
      endedAt: null,
      endedReason: null,
    };
    // A slot taken for a session that could not be stored would block the account until it lapses.
    await this.stores.playbackSessions.create(session).catch(async (error: unknown) => {
      await this.limiter.release(session).catch(() => undefined);
      throw error;
    });
    const claims = { sid: session.id, titleId: title.id, exp: Math.floor(expiresAt / 1000), ...this.bindings(client) };
    const key = await this.keys.current();
    const token =
      this.config.playbackTokenFormat === 'jwt' ? mintPlaybackJwt(claims, key, Math.floor(now / 1000), nodeHmac) : mintPlaybackToken(claims, key, nodeHmac);
    const wmToken = await this.wmTokens.issue(session);
    return grant({
      token,
      response: {
        session_id: session.id,
        manifest_url: this.mediaUrl(token, title.id, MANIFESTS[protocol] ?? ''),
        ...(protocol === 'dash' ? { license_url: this.licenseUrl(token, title.id) } : {}),
        expires_at: new Date(expiresAt).toISOString(),
        ...(wmToken !== undefined ? { wm_token: wmToken } : {}),
      },
    });
  }

  /** Ends a session of the principal's user; its URLs stop working within seconds. */
  async stop(principal: Principal, sessionId: string): Promise<Verdict<void>> {
    const session = await this.stores.playbackSessions.get(sessionId);
    if (session === undefined || session.userId !== principal.userId) {
      return deny('not_found', 'no such playback session');
    }
    const now = this.now();
    if (session.endedAt === null) await this.stores.playbackSessions.end(session.id, 'stopped', now);
    // Marked even when it had ended before: a retry after a failed mark (503) must take effect.
    await this.hot.mark(sessionEndedMark(session.id), Math.max(1, session.expiresAt - now), now);
    await this.limiter.release(session);
    return grant(undefined);
  }

  /** The URL of a file under a title, in the configured token mode. */
  mediaUrl(token: string, titleId: string, path: string): string {
    const base = this.config.publicUrl;
    return this.config.tokenMode === 'path'
      ? `${base}/v1/stream/${token}/${titleId}/${path}`
      : `${base}/v1/media/${titleId}/${path}${this.config.tokenMode === 'query' ? `?tg=${token}` : ''}`;
  }

  /** The session's license URL: the entitlement proxy, authorized by the token in its path. */
  licenseUrl(token: string, titleId: string): string {
    return `${this.config.publicUrl}/v1/license/s/${token}/${titleId}`;
  }

  private bindings(client: ClientInfo): { ip?: string; uaHash?: string } {
    const { bindIp, playbackBindUserAgent } = this.config;
    const ip = bindIp === 'exact' ? client.ip : bindIp === 'prefix' ? ipNetworkOf(client.ip, 24, 64) : undefined;
    return {
      ...(ip !== undefined ? { ip } : {}),
      ...(playbackBindUserAgent ? { uaHash: hashUserAgent(client.userAgent, nodeHmac) } : {}),
    };
  }
}
