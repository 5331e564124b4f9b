/**
 * MfaStore over SQL. Threat: a TOTP code or recovery code used twice (shoulder-surfed, phished
 * in real time, or raced in parallel). Each use is a conditional UPDATE, so of parallel uses of
 * one code exactly one succeeds, on one instance or many, and it survives restarts: the newest
 * accepted TOTP step is stored, and no code of that step or an earlier one is accepted again.
 */
import type { MfaRecord, MfaStore } from '../../../core/ports.js';
import type { SqlDatabase } from './database.js';

interface MfaRow {
  user_id: string;
  sealed_secret: string;
  confirmed_at: number | null;
  last_step: number | null;
}

const toRecord = (row: MfaRow): MfaRecord => ({
  userId: row.user_id,
  sealedSecret: row.sealed_secret,
  confirmedAt: row.confirmed_at === null ? null : Number(row.confirmed_at),
  lastStep: row.last_step === null ? null : Number(row.last_step),
});

export function sqlMfaStore(db: SqlDatabase): MfaStore {
  return {
    async get(userId) {
      const [row] = await db.query<MfaRow>('SELECT user_id, sealed_secret, confirmed_at, last_step FROM user_mfa WHERE user_id = $1', [userId]);
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
    confirm: (userId, step, recoveryCodeHashes, now) =>
      db.transaction(async (tx) => {
        const confirmed = await tx.query(
          `UPDATE user_mfa SET confirmed_at = $2, last_step = $3
           WHERE user_id = $1 AND confirmed_at IS NULL AND (last_step IS NULL OR last_step < $3) RETURNING user_id`,
          [userId, now, step],
        );
        if (confirmed.length !== 1) return false;
        await tx.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
        for (const hash of recoveryCodeHashes) {
          await tx.query('INSERT INTO mfa_recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)', [userId, hash]);
        }
        return true;
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
