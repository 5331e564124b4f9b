/**
 * MfaStore over SQL. Threat: a TOTP code or recovery code used twice (shoulder-surfed, phished
 * in real time, or raced in parallel). Each use is a conditional UPDATE, so of parallel uses of
 * one code exactly one succeeds, on one instance or many, and it survives restarts: the newest
 * accepted TOTP step is stored, and no code of that step or an earlier one is accepted again.
 * A replacement secret waits beside the confirmed one, so replacing a factor never leaves the
 * account without one; confirming names the secret its code was checked against, so a second
 * enrolment racing it cannot be confirmed unseen.
 */
import type { MfaRecord, MfaStore } from '../../../core/ports.js';
import type { SqlDatabase } from './database.js';

interface MfaRow {
  user_id: string;
  sealed_secret: string;
  confirmed_at: number | null;
  last_step: number | null;
  pending_secret: string | null;
}

const toRecord = (row: MfaRow): MfaRecord => ({
  userId: row.user_id,
  sealedSecret: row.sealed_secret,
  confirmedAt: row.confirmed_at === null ? null : Number(row.confirmed_at),
  lastStep: row.last_step === null ? null : Number(row.last_step),
  pendingSecret: row.pending_secret,
});

export function sqlMfaStore(db: SqlDatabase): MfaStore {
  return {
    async get(userId) {
      const [row] = await db.query<MfaRow>('SELECT user_id, sealed_secret, confirmed_at, last_step, pending_secret FROM user_mfa WHERE user_id = $1', [userId]);
      return row && toRecord(row);
    },
    begin: async (userId, sealedSecret) =>
      (
        await db.query(
          `INSERT INTO user_mfa (user_id, sealed_secret, confirmed_at, last_step) VALUES ($1, $2, NULL, NULL)
           ON CONFLICT (user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, last_step = NULL
           WHERE user_mfa.confirmed_at IS NULL RETURNING user_id`,
          [userId, sealedSecret],
        )
      ).length === 1,
    beginReplacement: async (userId, sealedSecret) =>
      (await db.query('UPDATE user_mfa SET pending_secret = $2 WHERE user_id = $1 AND confirmed_at IS NOT NULL RETURNING user_id', [userId, sealedSecret])).length === 1,
    confirm: (userId, sealedSecret, step, recoveryCodeHashes, now) =>
      db.transaction(async (tx) => {
        // A replacement's first code starts the new secret's steps; the old secret's are moot.
        const confirmed = await tx.query(
          `UPDATE user_mfa SET sealed_secret = $2, pending_secret = NULL, confirmed_at = $3, last_step = $4
           WHERE user_id = $1 AND (
             (confirmed_at IS NULL AND sealed_secret = $2 AND (last_step IS NULL OR last_step < $4))
             OR (confirmed_at IS NOT NULL AND pending_secret = $2))
           RETURNING user_id`,
          [userId, sealedSecret, now, step],
        );
        if (confirmed.length !== 1) return false;
        await tx.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
        for (const hash of recoveryCodeHashes) {
          await tx.query('INSERT INTO mfa_recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)', [userId, hash]);
        }
        return true;
      }),
    remove: (userId) =>
      db.transaction(async (tx) => {
        await tx.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
        return (await tx.query('DELETE FROM user_mfa WHERE user_id = $1 RETURNING user_id', [userId])).length === 1;
      }),
    useStep: async (userId, step) =>
      (
        await db.query(
          'UPDATE user_mfa SET last_step = $2 WHERE user_id = $1 AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < $2) RETURNING user_id',
          [userId, step],
        )
      ).length === 1,
    useRecoveryCode: async (userId, codeHash, now) =>
      (
        await db.query('UPDATE mfa_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING user_id', [
          userId,
          codeHash,
          now,
        ])
      ).length === 1,
  };
}
