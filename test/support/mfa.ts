/** TOTP helpers for tests: the code an authenticator app would show, and a full enrolment. */
import type { FastifyInstance } from 'fastify';
import { Secret, TOTP } from 'otpauth';

/** The 6-digit code of `secret` (base32) at `timestamp` (Unix ms). */
export function totpCode(secret: string, timestamp: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp });
}

/** Turns two-factor login on for the login behind `auth` (its account's password given); returns the secret and recovery codes. */
export async function enrolMfa(app: FastifyInstance, auth: { authorization: string }, password: string, now: number): Promise<{ secret: string; recoveryCodes: string[] }> {
  const started = await app.inject({ method: 'POST', url: '/v1/me/mfa', headers: auth, payload: { password } });
  if (started.statusCode !== 200) throw new Error(`enrol: ${started.body}`);
  const { secret } = started.json() as { secret: string };
  const confirmed = await app.inject({ method: 'POST', url: '/v1/me/mfa/confirm', headers: auth, payload: { totp: totpCode(secret, now) } });
  if (confirmed.statusCode !== 200) throw new Error(`confirm: ${confirmed.body}`);
  return { secret, recoveryCodes: (confirmed.json() as { recovery_codes: string[] }).recovery_codes };
}

/** A 6-digit code that is wrong at `timestamp` (not the code of this step or either neighbour). */
export function wrongCode(secret: string, timestamp: number): string {
  const near = new Set([-1, 0, 1].map((step) => totpCode(secret, timestamp + step * 30_000)));
  return ['000000', '111111', '222222', '333333'].find((code) => !near.has(code))!;
}
