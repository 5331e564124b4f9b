/**
 * Identity: login, refresh, logout, and access-token authentication. Threats: password
 * guessing (attempts reserved on atomic counters before the password is checked, see
 * login-limits.ts; unknown email and wrong password look the same), login floods (argon2 work
 * bounded by a WorkGate, the excess answered 503), stolen refresh tokens (opaque, 256-bit, stored only as SHA-256 hashes, rotated on
 * every use; presenting a used one revokes its whole family, so a thief and the victim cannot
 * both go on), stolen access tokens (10 minutes by default, and dead at once when their family
 * is revoked: every authentication checks the family). A login's end ends its tokens: an
 * access token never outlives its family's absolute lifetime, and a validly signed token that
 * claims a longer life than the configured TTL is not believed. A disabled account (an
 * operator's switch) cannot log in or refresh, and its access tokens are refused at once. An
 * account with a second factor needs a code too (mfa.ts): a wrong one is a failed login,
 * counted like a wrong password; a login's devices are admitted under the plan's limit
 * (devices.ts). Changing the second factor takes what a login takes (confirmOwner), so a
 * stolen access token cannot replace or remove it.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { normalizeEmail } from '../../core/email.js';
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { DurableStores, HotState, RefreshFamily, UserRecord } from '../../core/ports.js';
import { joseJwt } from '../keys/jose-jwt.js';
import type { AccessKeyRing } from './access-keys.js';
import { DeviceService } from './devices.js';
import type { MfaService } from './mfa.js';
import { type LoginLimitSettings, LoginLimits } from './login-limits.js';
import { verifyPassword } from './passwords.js';
import { WorkGate } from './work-gate.js';

export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const ACCESS_TOKEN_AUDIENCE = 'tollgate-api';
const REFRESH_PREFIX = 'tgr_';
/** A busy server's hint: password checks take tens of milliseconds, so a queue drains in about a second. */
const BUSY_RETRY_AFTER_SEC = 1;

/** Hot-state mark set when a login is revoked, so gateways stop its playback sessions. */
export function familyRevokedMark(familyId: string): string {
  return `family-revoked:${familyId}`;
}

export interface IdentitySettings {
  readonly issuer: string;
  /** How long revocation marks must outlive the revocation: the longest playback token. */
  readonly revocationMarkTtlSec: number;
  readonly accessTokenTtlSec: number;
  /** Clock difference tolerated between the instance that signed a token and this one. */
  readonly clockSkewSec: number;
  readonly refreshFamilyTtlSec: number;
  /** How long a retry of the just-rotated refresh token gets a new pair instead of revoking. */
  readonly refreshReuseGraceSec: number;
  readonly loginLimits: Omit<LoginLimitSettings, 'knownAddressTtlSec'>;
  /** Password checks (argon2) running at once, and waiting; beyond both, logins get 503. */
  readonly loginConcurrency: number;
  readonly loginQueue: number;
}

export interface LoginInput {
  readonly email: string;
  readonly password: string;
  readonly deviceId?: string;
  readonly deviceName?: string;
  /** A TOTP code, or a recovery code. */
  readonly totp?: string;
}

export interface TokenPair {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly refresh_token: string;
}

/** A login or refresh granted: the pair to hand out, and whose it is (for the event). */
export interface SignedIn {
  readonly pair: TokenPair;
  readonly userId: string;
  readonly deviceId: string | null;
}

/** Who an access token speaks for. */
export interface Principal {
  readonly userId: string;
  /** The refresh family (login) the token belongs to. */
  readonly familyId: string;
  /** When that login ends (Unix ms): nothing it starts may outlive it. */
  readonly familyExpiresAt: number;
  /** The device the login was made on, when it named one. */
  readonly deviceId: string | null;
  /** When the login was made (Unix ms): refreshes keep it. */
  readonly loggedInAt: number;
  /** The login passed a second factor. */
  readonly mfa: boolean;
  readonly user: UserRecord;
}

export class IdentityService {
  private readonly loginLimits: LoginLimits;
  private readonly passwordWork: WorkGate;
  readonly devices: DeviceService;

  constructor(
    private readonly stores: DurableStores,
    private readonly hot: HotState,
    private readonly keys: AccessKeyRing,
    private readonly mfa: MfaService,
    private readonly settings: IdentitySettings,
    private readonly now: () => number,
  ) {
    this.devices = new DeviceService(stores, (familyId) => this.markRevoked(familyId), now);
    this.loginLimits = new LoginLimits(hot, { ...settings.loginLimits, knownAddressTtlSec: settings.refreshFamilyTtlSec });
    this.passwordWork = new WorkGate(settings.loginConcurrency, settings.loginQueue);
  }

  async login(input: LoginInput, clientIp: string): Promise<Verdict<SignedIn>> {
    const checked = await this.checkCredentials(normalizeEmail(input.email), input.password, input.totp, clientIp);
    if (!checked.ok) return checked;
    const { user, factor } = checked.value;
    // Said only to whoever knows the password: it tells them what to do (ask the operator).
    if (user.disabledAt !== null) return deny('forbidden', 'this account is disabled');
    const device = await this.devices.admit(user, input.deviceId, input.deviceName);
    if (!device.ok) return device;

    const now = this.now();
    const refreshToken = newRefreshToken();
    const family = {
      id: randomUUID(),
      userId: user.id,
      deviceId: input.deviceId ?? null,
      mfa: factor === 'passed',
      createdAt: now,
      expiresAt: now + this.settings.refreshFamilyTtlSec * 1000,
      revokedAt: null,
      revokedReason: null,
    };
    await this.stores.refreshTokens.createFamily(family, hashToken(refreshToken));
    return grant({ pair: await this.tokenPair(family, refreshToken), userId: user.id, deviceId: family.deviceId });
  }

  /**
   * Proves that the caller of a second-factor change is the account's owner, not only the
   * holder of one of its access tokens: its password, and a current code when a factor is on,
   * checked exactly as a login checks them (same limits and password-work bound), so this route
   * is no faster a way to guess either. Answers whether a factor is on ('passed') or not ('off').
   */
  async confirmOwner(who: Principal, password: string, totp: string | undefined, clientIp: string): Promise<Verdict<'off' | 'passed'>> {
    const checked = await this.checkCredentials(who.user.email, password, totp, clientIp);
    if (!checked.ok) return checked;
    if (checked.value.user.id !== who.userId) return deny('invalid_credentials', 'the email or password is wrong');
    return grant(checked.value.factor);
  }

  /** A login's checks: the attempt reserved under the limits, the password, the second factor. */
  private async checkCredentials(email: string, password: string, totp: string | undefined, clientIp: string): Promise<Verdict<{ user: UserRecord; factor: 'off' | 'passed' }>> {
    const attempt = await this.loginLimits.begin(email, clientIp, this.now());
    if (!attempt.ok) return attempt;
    const user = await this.checkPassword(email, password).catch(async (error: unknown) => {
      await attempt.value.abandoned(); // broken infrastructure is not a wrong guess
      throw error;
    });
    if (user === 'busy') {
      await attempt.value.abandoned();
      return deny('unavailable', 'too many logins in progress; try again shortly', BUSY_RETRY_AFTER_SEC);
    }
    if (user === undefined) return deny('invalid_credentials', 'the email or password is wrong');
    const factor = await this.mfa.check(user.id, totp).catch(async (error: unknown) => {
      await attempt.value.abandoned();
      throw error;
    });
    if (factor === 'missing') {
      await attempt.value.abandoned(); // the first half of a login, not a guess
      return deny('mfa_required', 'this account has two-factor login: send the code from the authenticator app as totp');
    }
    // A wrong code keeps the attempt's reservations: guessing codes is limited like guessing passwords.
    if (factor === 'wrong') return deny('invalid_credentials', 'the code is wrong or was already used');
    await attempt.value.succeeded();
    return grant({ user, factor });
  }

  /** The user when the password is right; 'busy' when the password-check queue is full. */
  private async checkPassword(email: string, password: string): Promise<UserRecord | undefined | 'busy'> {
    const checked = this.passwordWork.tryRun(async () => {
      const user = await this.stores.users.findByEmail(email);
      return (await verifyPassword(user?.passwordHash, password)) ? user : undefined;
    });
    return checked ?? 'busy';
  }

  async refresh(refreshToken: string): Promise<Verdict<SignedIn>> {
    if (!isRefreshTokenShaped(refreshToken)) return deny('invalid_token', 'not a Tollgate refresh token');
    const next = newRefreshToken();
    const outcome = await this.stores.refreshTokens.rotate(hashToken(refreshToken), hashToken(next), this.now(), this.settings.refreshReuseGraceSec * 1000);
    switch (outcome.status) {
      case 'unknown':
        return deny('invalid_token', 'the refresh token is not known');
      case 'reused':
        await this.markRevoked(outcome.family.id);
        return deny('token_revoked', 'the refresh token was already used; its whole session has been revoked');
      case 'revoked':
        return deny('token_revoked', 'the session of this refresh token has been revoked');
      case 'expired':
        return deny('token_expired', 'the session of this refresh token has expired; log in again');
      case 'rotated': {
        // A login that slipped past an operator's disable (racing it) ends at its next refresh.
        const user = await this.stores.users.findById(outcome.family.userId);
        if (user === undefined || user.disabledAt !== null) {
          await this.stores.refreshTokens.revokeFamily(outcome.family.id, 'user_disabled', this.now());
          await this.markRevoked(outcome.family.id);
          return deny('token_revoked', 'this account is disabled');
        }
        return grant({ pair: await this.tokenPair(outcome.family, next), userId: user.id, deviceId: outcome.family.deviceId });
      }
    }
  }

  /**
   * Revokes the whole family of a refresh token. Unknown tokens are accepted silently (RFC 7009
   * §2.2). The mark is set even when the family was revoked before: if marking failed last time
   * (hot state away: the client got 503 after the revocation took effect), the retry sets it.
   */
  async logout(refreshToken: string): Promise<void> {
    if (!isRefreshTokenShaped(refreshToken)) return;
    const family = await this.stores.refreshTokens.findFamilyByToken(hashToken(refreshToken));
    if (family === undefined) return;
    if (family.revokedAt === null) await this.stores.refreshTokens.revokeFamily(family.id, 'logout', this.now());
    await this.markRevoked(family.id);
  }

  /** Sets the hot-state mark that stops a revoked login's playback sessions within seconds. */
  markRevoked(familyId: string): Promise<void> {
    return this.hot.mark(familyRevokedMark(familyId), this.settings.revocationMarkTtlSec * 1000, this.now());
  }

  async authenticate(accessToken: string): Promise<Verdict<Principal>> {
    const verdict = await joseJwt.verify(accessToken, {
        typ: ACCESS_TOKEN_TYPE,
        algorithms: ['EdDSA', 'ES256'],
        issuer: this.settings.issuer,
        audience: ACCESS_TOKEN_AUDIENCE,
        now: Math.floor(this.now() / 1000),
        leeway: this.settings.clockSkewSec,
        maxLifetime: this.settings.accessTokenTtlSec,
        resolveKey: (kid) => this.keys.resolve(kid),
    });
    if (!verdict.ok) return verdict;
    const { sub, sid } = verdict.value.claims;
    if (typeof sub !== 'string' || typeof sid !== 'string') return deny('invalid_token', 'the token lacks sub or sid');
    const family = await this.stores.refreshTokens.getFamily(sid);
    if (family === undefined || family.userId !== sub) return deny('invalid_token', 'the token session is not known');
    if (family.revokedAt !== null) return deny('token_revoked', 'the session of this token has been revoked');
    if (this.now() >= family.expiresAt) return deny('token_expired', 'the login of this token has ended; log in again');
    const user = await this.stores.users.findById(sub);
    if (user === undefined) return deny('token_revoked', 'the user of this token no longer exists');
    if (user.disabledAt !== null) return deny('token_revoked', 'this account is disabled');
    return grant({ userId: sub, familyId: sid, familyExpiresAt: family.expiresAt, deviceId: family.deviceId, loggedInAt: family.createdAt, mfa: family.mfa, user });
  }

  /** Retention a retired access key needs: its tokens' lifetime plus clock leeway. */
  static keyRetentionMs(accessTokenTtlSec: number, clockSkewSec: number): number {
    return (accessTokenTtlSec + clockSkewSec) * 1000;
  }

  private async tokenPair(family: RefreshFamily, refreshToken: string): Promise<TokenPair> {
    const iat = Math.floor(this.now() / 1000);
    // The login's end bounds the token: floor, so exp (seconds) is never after expiresAt (ms).
    const exp = Math.min(iat + this.settings.accessTokenTtlSec, Math.floor(family.expiresAt / 1000));
    const claims = {
      iss: this.settings.issuer,
      aud: ACCESS_TOKEN_AUDIENCE,
      sub: family.userId,
      sid: family.id,
      iat,
      exp,
      jti: randomUUID(),
      // RFC 8176 methods, for relying parties; Tollgate itself trusts the login's record.
      amr: family.mfa ? ['pwd', 'otp'] : ['pwd'],
    };
    const accessToken = await joseJwt.sign({ typ: ACCESS_TOKEN_TYPE, key: await this.keys.current() }, claims);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: exp - iat,
      refresh_token: refreshToken,
    };
  }
}

function newRefreshToken(): string {
  return REFRESH_PREFIX + randomBytes(32).toString('base64url');
}

function isRefreshTokenShaped(token: string): boolean {
  return token.length === REFRESH_PREFIX.length + 43 && token.startsWith(REFRESH_PREFIX);
}

/** Refresh tokens carry 256 random bits, so a fast hash is enough: there is nothing to guess. */
function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
