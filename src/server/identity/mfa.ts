/**
 * TOTP second factor (RFC 6238, via the otpauth library) with single-use recovery codes.
 * Threats: a stolen password alone logging in (an account with MFA needs a code too); a code
 * seen or phished and replayed within its 30 s step, or raced in parallel (each accepted step
 * is stored durably and a code of that step or an earlier one is refused: the store's
 * conditional update lets one use through); guessing codes (a wrong code is a failed login,
 * counted by the login limits like a wrong password); a copy of the database disclosing the
 * secret (sealed under the master key, bound to its user); a recovery code used twice, or read
 * from the database (stored only as hashes, each spent by a conditional update); an access
 * token thief enrolling, replacing or removing the victim's second factor (the routes first
 * prove the owner with the password and, when a factor is on, a current code:
 * IdentityService.confirmOwner). A replacement waits beside the confirmed factor until its
 * first code, so the account is never without one in between.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { MfaStore } from '../../core/ports.js';
import type { Sealer } from '../keys/sealer.js';

const ISSUER = 'Tollgate';
/** One step either side of now: phone clocks drift and a code typed at a step's end arrives in the next. */
const TOTP_WINDOW = 1;
const RECOVERY_CODES = 10;
/** 10 base32 characters: 50 bits each, beyond guessing under the login limits. */
const RECOVERY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const RECOVERY_LENGTH = 10;
const TOTP_SHAPE = /^\d{6}$/;

export interface Enrolment {
  readonly otpauth_url: string;
  readonly secret: string;
}

export class MfaService {
  constructor(
    private readonly store: MfaStore,
    private readonly sealer: Sealer,
    private readonly now: () => number,
  ) {}

  /**
   * A login's second factor: 'off' when the user has none, 'missing' when one is on and no
   * code was sent, else the code (TOTP or recovery code) is checked and spent: 'passed' or 'wrong'.
   */
  async check(userId: string, code: string | undefined): Promise<'off' | 'missing' | 'passed' | 'wrong'> {
    const record = await this.store.get(userId);
    if (record === undefined || record.confirmedAt === null) return 'off';
    if (code === undefined) return 'missing';
    return (await this.spend(record.sealedSecret, userId, code)) ? 'passed' : 'wrong';
  }

  /**
   * Starts (or restarts) enrolment: a new secret, to be confirmed with its first code. With
   * `replacing`, the new secret waits beside the confirmed factor, which stays in force until then.
   * The caller has proved the owner first (and a current code when replacing).
   */
  async enrol(userId: string, email: string, replacing: boolean): Promise<Verdict<Enrolment>> {
    const secret = new Secret({ size: 20 });
    const sealed = this.sealer.seal(new TextEncoder().encode(secret.base32), sealContext(userId));
    const started = replacing ? await this.store.beginReplacement(userId, sealed) : await this.store.begin(userId, sealed, this.now());
    if (!started) return deny('conflict', 'two-factor login changed meanwhile; try again');
    return grant({ otpauth_url: totpFor(secret.base32, email).toString(), secret: secret.base32 });
  }

  /** Confirms enrolment with a current code of the waiting secret; answers the recovery codes, shown this once. */
  async confirm(userId: string, code: string): Promise<Verdict<{ recovery_codes: string[] }>> {
    const record = await this.store.get(userId);
    const waiting = record === undefined ? null : record.confirmedAt === null ? record.sealedSecret : record.pendingSecret;
    if (waiting === null) return deny('conflict', 'no two-factor enrolment is waiting; start one with POST /v1/me/mfa');
    const step = this.stepOf(waiting, userId, code);
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    if (step === undefined || !(await this.store.confirm(userId, waiting, step, codes.map((c) => hashRecoveryCode(userId, c)), this.now()))) {
      return deny('invalid_credentials', 'the code is wrong or was already used');
    }
    return grant({ recovery_codes: codes });
  }

  /** Turns the factor off (its secret, a pending one, the recovery codes); false when none was on or pending. */
  remove(userId: string): Promise<boolean> {
    return this.store.remove(userId);
  }

  /** Checks a code (TOTP or a recovery code) and spends it; false when wrong or used. */
  private async spend(sealedSecret: string, userId: string, code: string): Promise<boolean> {
    if (TOTP_SHAPE.test(code)) {
      const step = this.stepOf(sealedSecret, userId, code);
      return step !== undefined && this.store.useStep(userId, step);
    }
    return this.store.useRecoveryCode(userId, hashRecoveryCode(userId, code), this.now());
  }

  /** The time step a code belongs to, when it is right for a step within the window. */
  private stepOf(sealedSecret: string, userId: string, code: string): number | undefined {
    if (!TOTP_SHAPE.test(code)) return undefined;
    const secret = new TextDecoder().decode(this.sealer.open(sealedSecret, sealContext(userId)));
    const totp = totpFor(secret, '');
    const timestamp = this.now();
    const delta = totp.validate({ token: code, timestamp, window: TOTP_WINDOW });
    return delta === null ? undefined : totp.counter({ timestamp }) + delta;
  }
}

function totpFor(base32: string, label: string): TOTP {
  return new TOTP({ issuer: ISSUER, label, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(base32) });
}

function sealContext(userId: string): string {
  return `mfa:${userId}`;
}

function newRecoveryCode(): string {
  const bytes = randomBytes(RECOVERY_LENGTH);
  const chars = Array.from(bytes, (b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/**
 * Recovery codes carry 50 random bits and guesses go through the login limits, so a fast hash
 * is enough; the user id salts it. Spelling is forgiven: case, spaces and dashes.
 */
function hashRecoveryCode(userId: string, code: string): string {
  const normalized = code.toUpperCase().replace(/[\s-]/g, '');
  return createHash('sha256').update(`${userId}:${normalized}`).digest('base64url');
}
