import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { hashOpaqueToken, returnedRows } from '../crypto/opaque-token';
import { RevocationList } from '../oauth/revocation-list';

/** Ends codes not yet redeemed: a code held back must not open a grant after its grant was revoked. */
const EXPIRE_UNREDEEMED_CODES = 'UPDATE authorization_codes SET expires_at = now() WHERE redeemed_at IS NULL AND expires_at > now()';

/** What revoking grants ended: the families, and how many live access tokens went on the revocation list. */
export interface RevokedGrants {
  readonly families: readonly string[];
  readonly accessTokens: number;
}

/**
 * Ends grants: refresh-token families and the access tokens issued from them (RFC 7009
 * s2.1: revoking a refresh token SHOULD also invalidate the access tokens of the same
 * grant). Each refresh token row records the access token handed out with it; an
 * authorization code records the access token of an exchange that issued no refresh token.
 * Redis, where resource servers look, is told after the commit and best effort: what it
 * misses, the revocation list publishes again until it takes it, so no caller fails on Redis.
 */
@Injectable()
export class GrantRevocation {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly revocations: RevocationList,
  ) {}

  /**
   * Revokes the family of `presented` (RFC 7009 s2.1), when it belongs to `clientId`.
   * Returns the family id, or null when the token is unknown to this client.
   */
  async revokeFamilyOf(presented: string, clientId: string): Promise<string | null> {
    const rows = (await this.dataSource.query('SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND client_id = $2', [hashOpaqueToken(presented), clientId])) as {
      family_id: string;
    }[];
    if (!rows[0]) return null;
    await this.revokeFamily(rows[0].family_id);
    return rows[0].family_id;
  }

  /** Revokes a family (reuse detected, a code replayed, a user found disabled). */
  revokeFamily(familyId: string): Promise<RevokedGrants> {
    return this.revokeNow('family_id = $1', [familyId], false);
  }

  /** Revokes every grant of a user (account disabled, password changed). */
  revokeForUser(userId: string): Promise<RevokedGrants> {
    return this.revokeNow('user_id = $1', [userId], true);
  }

  /**
   * Revokes every grant of a user except the refresh-token family that issued the access
   * token `keepAccessJti` (a second factor was just set up with it: other devices sign in
   * again, the device that set it up keeps going): the other families and their access
   * tokens, access tokens of code exchanges that issued no refresh token, and codes not yet
   * redeemed (one held back would otherwise open a new password-only grant). Runs in the
   * caller's transaction (the factor's confirmation: both commit or neither); call
   * `RevocationList.sharePending` once it has committed.
   */
  async revokeForUserExceptGrantOf(manager: EntityManager, userId: string, keepAccessJti: string): Promise<RevokedGrants> {
    const families = await this.revokeWhere(
      manager,
      'user_id = $1 AND family_id NOT IN (SELECT family_id FROM refresh_tokens WHERE user_id = $1 AND access_jti::text = $2)',
      [userId, keepAccessJti],
      false,
    );
    await manager.query(`${EXPIRE_UNREDEEMED_CODES} AND user_id = $1`, [userId]);
    const codeTokens = await this.revocations.list(
      manager,
      `SELECT issued_access_jti AS jti, client_id, to_timestamp(issued_access_exp) AS expires_at FROM authorization_codes
       WHERE user_id = $1 AND issued_refresh_family IS NULL AND issued_access_jti IS NOT NULL AND issued_access_jti <> $2
         AND issued_access_exp > extract(epoch FROM now())`,
      [userId, keepAccessJti],
    );
    return { families: families.families, accessTokens: families.accessTokens + codeTokens };
  }

  /** Revokes every grant of a client (the client deleted). */
  revokeForClient(clientId: string): Promise<RevokedGrants> {
    return this.revokeNow('client_id = $1', [clientId], true);
  }

  /**
   * Revokes a user's grants to one client inside the caller's transaction (consent
   * withdrawn); call `RevocationList.sharePending` once it has committed.
   */
  revokeForUserAndClient(manager: EntityManager, userId: string, clientId: string): Promise<RevokedGrants> {
    return this.revokeWhere(manager, 'user_id = $1 AND client_id = $2', [userId, clientId], true);
  }

  private async revokeNow(condition: string, params: unknown[], codeGrants: boolean): Promise<RevokedGrants> {
    const revoked = await this.dataSource.transaction((manager) => this.revokeWhere(manager, condition, params, codeGrants));
    if (revoked.accessTokens > 0) await this.revocations.sharePending();
    return revoked;
  }

  /**
   * In one transaction: marks the matching live refresh tokens revoked, then every token of
   * their families (a rotation that was waiting on one of them has committed its new token
   * by then, and this later statement sees it), and lists the families' unexpired access
   * tokens; with `codeGrants`, also those of the matching authorization codes (`condition`
   * names columns both tables have), whose codes not yet redeemed expire now. A grant is never
   * revoked without its access tokens.
   */
  private async revokeWhere(manager: EntityManager, condition: string, params: unknown[], codeGrants: boolean): Promise<RevokedGrants> {
    const revoked = returnedRows<{ family_id: string }>(
      (await manager.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE ${condition} AND revoked_at IS NULL RETURNING family_id`, params)) as unknown,
    );
    const families = [...new Set(revoked.map((r) => r.family_id))];
    let accessTokens = 0;
    if (families.length > 0) {
      await manager.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = ANY($1::uuid[]) AND revoked_at IS NULL', [families]);
      accessTokens += await this.revocations.list(
        manager,
        `SELECT access_jti::text AS jti, client_id, access_expires_at AS expires_at FROM refresh_tokens
         WHERE family_id = ANY($1::uuid[]) AND access_jti IS NOT NULL AND access_expires_at > now()`,
        [families],
      );
    }
    if (codeGrants) {
      await manager.query(`${EXPIRE_UNREDEEMED_CODES} AND ${condition}`, params);
      accessTokens += await this.revocations.list(
        manager,
        `SELECT issued_access_jti AS jti, client_id, to_timestamp(issued_access_exp) AS expires_at FROM authorization_codes
         WHERE ${condition} AND issued_access_jti IS NOT NULL AND issued_access_exp > extract(epoch FROM now())`,
        params,
      );
    }
    return { families, accessTokens };
  }
}
