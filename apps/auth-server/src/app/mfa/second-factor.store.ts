import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { returnedRows } from '../crypto/opaque-token';

/** A user's TOTP authenticator as stored: the secret still encrypted. */
export interface StoredTotp {
  readonly secretCiphertext: string;
  readonly confirmed: boolean;
  /** The last time step accepted (RFC 6238 s5.2 replay protection), or null. */
  readonly lastUsedStep: number | null;
  /** Wrong authenticator codes since the last right one (or recovery code). */
  readonly consecutiveFailures: number;
}

interface TotpRow {
  secret_ciphertext: string;
  confirmed_at: Date | null;
  last_used_step: string | null;
  consecutive_failures: number;
}

/**
 * The `user_totp` and `recovery_codes` tables. Every state change is one conditional
 * statement, so concurrent requests on several instances cannot both win: a time step is
 * accepted once, a recovery code is used once, an enrollment is confirmed once.
 */
@Injectable()
export class SecondFactorStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async findTotp(userId: string): Promise<StoredTotp | undefined> {
    const rows = (await this.dataSource.query('SELECT secret_ciphertext, confirmed_at, last_used_step, consecutive_failures FROM user_totp WHERE user_id = $1', [userId])) as TotpRow[];
    const row = rows[0];
    return (
      row && {
        secretCiphertext: row.secret_ciphertext,
        confirmed: row.confirmed_at !== null,
        lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
        consecutiveFailures: row.consecutive_failures,
      }
    );
  }

  /** Stores a new unconfirmed secret, replacing an unconfirmed one; false when one is confirmed. */
  async savePending(userId: string, secretCiphertext: string): Promise<boolean> {
    const result = await this.dataSource.query(
      `INSERT INTO user_totp (user_id, secret_ciphertext) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET secret_ciphertext = EXCLUDED.secret_ciphertext, last_used_step = NULL, created_at = now()
       WHERE user_totp.confirmed_at IS NULL
       RETURNING user_id`,
      [userId, secretCiphertext],
    );
    return returnedRows(result).length === 1;
  }

  /**
   * Confirms the pending secret `secretCiphertext` (the one the code was checked against,
   * so a set-up restarted meanwhile is not confirmed with the old code), replaces the user's
   * recovery codes and runs `alsoInTransaction`, in one transaction. False when that secret
   * is no longer pending (then nothing changes).
   */
  async confirm(
    userId: string,
    secretCiphertext: string,
    step: number,
    recoveryCodeHashes: readonly string[],
    alsoInTransaction: (manager: EntityManager) => Promise<unknown>,
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const confirmed = await manager.query(
        `UPDATE user_totp SET confirmed_at = now(), last_used_step = $3
         WHERE user_id = $1 AND secret_ciphertext = $2 AND confirmed_at IS NULL RETURNING user_id`,
        [userId, secretCiphertext, step],
      );
      if (returnedRows(confirmed).length !== 1) return false;
      await this.replaceRecoveryCodes(manager, userId, recoveryCodeHashes);
      await alsoInTransaction(manager);
      return true;
    });
  }

  /**
   * Accepts time step `step` for the user's confirmed, unlocked authenticator unless it (or
   * a later one) was accepted already; resets the failure count.
   */
  async claimStep(userId: string, step: number, maxFailures: number): Promise<boolean> {
    const result = await this.dataSource.query(
      `UPDATE user_totp SET last_used_step = $2, consecutive_failures = 0
       WHERE user_id = $1 AND confirmed_at IS NOT NULL AND (last_used_step IS NULL OR last_used_step < $2) AND consecutive_failures < $3
       RETURNING user_id`,
      [userId, step, maxFailures],
    );
    return returnedRows(result).length === 1;
  }

  /** Counts a wrong authenticator code; returns the new count (0 without a confirmed authenticator). */
  async recordFailure(userId: string): Promise<number> {
    const result = await this.dataSource.query(
      'UPDATE user_totp SET consecutive_failures = consecutive_failures + 1 WHERE user_id = $1 AND confirmed_at IS NOT NULL RETURNING consecutive_failures',
      [userId],
    );
    return returnedRows<{ consecutive_failures: number }>(result)[0]?.consecutive_failures ?? 0;
  }

  /** Replaces the recovery codes of a user with a confirmed authenticator; false without one. */
  async replaceRecoveryCodesOf(userId: string, hashes: readonly string[]): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const rows = (await manager.query('SELECT 1 FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL FOR UPDATE', [userId])) as unknown[];
      if (rows.length === 0) return false;
      await this.replaceRecoveryCodes(manager, userId, hashes);
      return true;
    });
  }

  /** Clears the failure count (a recovery code proved the user): the authenticator works again. */
  async clearFailures(userId: string): Promise<void> {
    await this.dataSource.query('UPDATE user_totp SET consecutive_failures = 0 WHERE user_id = $1', [userId]);
  }

  /** Marks an unused recovery code of a user with a confirmed authenticator as used; false otherwise. */
  async useRecoveryCode(userId: string, codeHash: string): Promise<boolean> {
    const result = await this.dataSource.query(
      `UPDATE recovery_codes SET used_at = now()
       WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL
         AND EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL)
       RETURNING user_id`,
      [userId, codeHash],
    );
    return returnedRows(result).length === 1;
  }

  async unusedRecoveryCodes(userId: string): Promise<number> {
    const rows = (await this.dataSource.query('SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL', [userId])) as { n: number }[];
    return rows[0]?.n ?? 0;
  }

  /** Removes the user's authenticator and recovery codes; true when an authenticator (confirmed or not) existed. */
  async remove(userId: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
      const removed = await manager.query('DELETE FROM user_totp WHERE user_id = $1 RETURNING user_id', [userId]);
      return returnedRows(removed).length === 1;
    });
  }

  private async replaceRecoveryCodes(manager: EntityManager, userId: string, hashes: readonly string[]): Promise<void> {
    await manager.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
    await manager.query('INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])', [userId, [...hashes]]);
  }
}
