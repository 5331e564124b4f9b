/**
 * Identity: login, refresh, logout, and access-token authentication. Threats: password
 * guessing (rate limits per account and per address; unknown email and wrong password look
 * the same), stolen refresh tokens (opaque, 256-bit, stored only as SHA-256 hashes, rotated on
 * every use; presenting a used one revokes its whole family, so a thief and the victim cannot
 * both go on), stolen access tokens (10 minutes by default, and dead at once when their family
 * is revoked: every authentication checks the family).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { deny, grant, type Verdict } from '../../core/errors.js';
import { signJwt } from '../../core/jwt.js';
import { verifyJwt } from '../../core/jwt-verify.js';
import type { DurableStores, HotState, UserRecord } from '../../core/ports.js';
import { nodeJwtCrypto } from '../keys/jwt-crypto.js';
import type { AccessKeyRing } from './access-keys.js';
import { verifyPassword } from './passwords.js';

export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const ACCESS_TOKEN_AUDIENCE = 'tollgate-api';
const REFRESH_PREFIX = 'tgr_';

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
  readonly loginMaxFailuresPerAccount: number;
  readonly loginMaxFailuresPerAddress: number;
  readonly loginFailureWindowSec: number;
}

export interface TokenPair {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly refresh_token: string;
}

/** Who an access token speaks for. */
export interface Principal {
  readonly userId: string;
  /** The refresh family (login) the token belongs to. */
  readonly familyId: string;
  readonly user: UserRecord;
}

export class IdentityService {
  constructor(
    private readonly stores: DurableStores,
    private readonly hot: HotState,
    private readonly keys: AccessKeyRing,
    private readonly settings: IdentitySettings,
    private readonly now: () => number,
  ) {}

  async login(input: { email: string; password: string; deviceId?: string }, clientIp: string): Promise<Verdict<TokenPair>> {
    const email = normalizeEmail(input.email);
    const now = this.now();
    const windowMs = this.settings.loginFailureWindowSec * 1000;
    const accountKey = `login-failures:account:${email}`;
    const addressKey = `login-failures:address:${clientIp}`;
    const [account, address] = await Promise.all([this.hot.peek(accountKey, now), this.hot.peek(addressKey, now)]);
    const blocked = [
      account.count >= this.settings.loginMaxFailuresPerAccount ? account.resetInMs : 0,
      address.count >= this.settings.loginMaxFailuresPerAddress ? address.resetInMs : 0,
    ];
    const waitMs = Math.max(...blocked);
    if (waitMs > 0) return deny('rate_limited', 'too many failed logins; try again later', waitMs / 1000);

    const user = await this.stores.users.findByEmail(email);
    if (!(await verifyPassword(user?.passwordHash, input.password)) || user === undefined) {
      await Promise.all([this.hot.hit(accountKey, windowMs, now), this.hot.hit(addressKey, windowMs, now)]);
      return deny('invalid_credentials', 'the email or password is wrong');
    }
    await this.hot.clear(accountKey);

    const familyId = randomUUID();
    const refreshToken = newRefreshToken();
    await this.stores.refreshTokens.createFamily(
      {
        id: familyId,
        userId: user.id,
        deviceId: input.deviceId ?? null,
        createdAt: now,
        expiresAt: now + this.settings.refreshFamilyTtlSec * 1000,
        revokedAt: null,
        revokedReason: null,
      },
      hashToken(refreshToken),
    );
    return grant(await this.tokenPair(user.id, familyId, refreshToken));
  }

  async refresh(refreshToken: string): Promise<Verdict<TokenPair>> {
    if (!isRefreshTokenShaped(refreshToken)) return deny('invalid_token', 'not a Tollgate refresh token');
    const next = newRefreshToken();
    const outcome = await this.stores.refreshTokens.rotate(hashToken(refreshToken), hashToken(next), this.now());
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
      case 'rotated':
        return grant(await this.tokenPair(outcome.family.userId, outcome.family.id, next));
    }
  }

  /** Revokes the whole family of a refresh token. Unknown tokens are accepted silently (RFC 7009 §2.2). */
  async logout(refreshToken: string): Promise<void> {
    if (!isRefreshTokenShaped(refreshToken)) return;
    const family = await this.stores.refreshTokens.findFamilyByToken(hashToken(refreshToken));
    if (family !== undefined && (await this.stores.refreshTokens.revokeFamily(family.id, 'logout', this.now()))) {
      await this.markRevoked(family.id);
    }
  }

  private markRevoked(familyId: string): Promise<void> {
    return this.hot.mark(familyRevokedMark(familyId), this.settings.revocationMarkTtlSec * 1000, this.now());
  }

  async authenticate(accessToken: string): Promise<Verdict<Principal>> {
    const verdict = await verifyJwt(
      accessToken,
      {
        typ: ACCESS_TOKEN_TYPE,
        algorithms: ['EdDSA', 'ES256'],
        issuer: this.settings.issuer,
        audience: ACCESS_TOKEN_AUDIENCE,
        now: Math.floor(this.now() / 1000),
        leeway: this.settings.clockSkewSec,
        resolveKey: (kid) => this.keys.resolve(kid),
      },
      nodeJwtCrypto,
    );
    if (!verdict.ok) return verdict;
    const { sub, sid } = verdict.value.claims;
    if (typeof sub !== 'string' || typeof sid !== 'string') return deny('invalid_token', 'the token lacks sub or sid');
    const family = await this.stores.refreshTokens.getFamily(sid);
    if (family === undefined || family.userId !== sub) return deny('invalid_token', 'the token session is not known');
    if (family.revokedAt !== null) return deny('token_revoked', 'the session of this token has been revoked');
    const user = await this.stores.users.findById(sub);
    if (user === undefined) return deny('token_revoked', 'the user of this token no longer exists');
    return grant({ userId: sub, familyId: sid, user });
  }

  /** Retention a retired access key needs: its tokens' lifetime plus clock leeway. */
  static keyRetentionMs(accessTokenTtlSec: number, clockSkewSec: number): number {
    return (accessTokenTtlSec + clockSkewSec) * 1000;
  }

  private async tokenPair(userId: string, familyId: string, refreshToken: string): Promise<TokenPair> {
    const iat = Math.floor(this.now() / 1000);
    const claims = {
      iss: this.settings.issuer,
      aud: ACCESS_TOKEN_AUDIENCE,
      sub: userId,
      sid: familyId,
      iat,
      exp: iat + this.settings.accessTokenTtlSec,
      jti: randomUUID(),
    };
    const accessToken = await signJwt({ typ: ACCESS_TOKEN_TYPE, key: await this.keys.current() }, claims, nodeJwtCrypto);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.settings.accessTokenTtlSec,
      refresh_token: refreshToken,
    };
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
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
