import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService, type AuditParty } from '@authkit/audit';
import { CLIENT_ID } from '../clients/client-metadata.schema';
import { returnedRows } from '../crypto/opaque-token';
import { OAuthError } from '../oauth/oauth-error';
import { RevocationList } from '../oauth/revocation-list';
import { GrantRevocation } from '../refresh/grant-revocation.service';
import { isUuid } from '../uuid-form';

const FOREIGN_KEY_VIOLATION = '23503'; // PostgreSQL SQLSTATE

/** A remembered consent: which scopes a user granted a client. */
export interface ConsentView {
  readonly client_id: string;
  /** Space-separated, as in RFC 6749 s3.3. */
  readonly scope: string;
  /** When the user first consented to this client. */
  readonly granted_at: string;
  /** When the consent last widened. */
  readonly updated_at: string;
}

interface Row {
  client_id: string;
  scope: string[];
  granted_at: Date;
  updated_at: Date;
}

/**
 * Remembered consent (table `consents`), so the consent page is shown only for scopes a
 * user has not yet granted a client (OAuth 2.1 s7.5, RFC 9700 s4.1: users must be able to
 * see and withdraw what they granted). Withdrawing a consent also revokes the refresh
 * tokens that client holds for the user.
 */
@Injectable()
export class ConsentService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly grants: GrantRevocation,
    private readonly revocations: RevocationList,
  ) {}

  /** True when the user has already granted this client every scope in `scope` (and consented at all). */
  async covers(userId: string, clientId: string, scope: readonly string[]): Promise<boolean> {
    if (!isUuid(userId)) return false;
    const rows = (await this.dataSource.query('SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2', [userId, clientId])) as Pick<Row, 'scope'>[];
    const granted = rows[0]?.scope;
    return granted !== undefined && scope.every((s) => granted.includes(s));
  }

  /**
   * Remembers the grant (adding to what was granted before).
   * @throws OAuthError `not_found` when the user or the client does not exist.
   */
  async grant(userId: string, clientId: string, scope: readonly string[]): Promise<void> {
    if (!isUuid(userId)) throw new OAuthError('not_found', 'No such user or client.');
    const requested = [...new Set(scope)].sort();
    try {
      await this.dataSource.query(
        `INSERT INTO consents (user_id, client_id, scope, granted_at, updated_at) VALUES ($1, $2, $3, now(), now())
         ON CONFLICT (user_id, client_id) DO UPDATE
           SET scope = ARRAY(SELECT DISTINCT s FROM unnest(consents.scope || EXCLUDED.scope) AS s ORDER BY s), updated_at = now()`,
        [userId, clientId, requested],
      );
    } catch (error) {
      if ((error as { code?: unknown }).code === FOREIGN_KEY_VIOLATION) throw new OAuthError('not_found', 'No such user or client.');
      throw error;
    }
    const self: AuditParty = { type: 'user', id: userId };
    this.audit.record({ type: 'consent.granted', outcome: 'success', actor: self, subject: self, details: { client_id: clientId, scope: requested.join(' ') } });
  }

  /** The user's remembered consents, by client id. */
  async list(userId: string): Promise<ConsentView[]> {
    if (!isUuid(userId)) return [];
    const rows = (await this.dataSource.query('SELECT client_id, scope, granted_at, updated_at FROM consents WHERE user_id = $1 ORDER BY client_id', [userId])) as Row[];
    return rows.map((row) => ({
      client_id: row.client_id,
      scope: row.scope.join(' '),
      granted_at: row.granted_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
    }));
  }

  /**
   * Forgets the consent and revokes the client's refresh tokens for the user, with the
   * access tokens issued alongside them; false when there was none (nothing is revoked
   * then). A grant the user withdrew must not keep minting or carrying access tokens
   * (RFC 7009 s2.1 revokes the grant and the access tokens based on it).
   */
  async revoke(userId: string, clientId: string, actor?: AuditParty): Promise<boolean> {
    // No consent names a malformed id (one with U+0000 would fail the query).
    if (!isUuid(userId) || !CLIENT_ID.test(clientId)) return false;
    const revoked = await this.dataSource.transaction(async (manager) => {
      const deleted = returnedRows<{ client_id: string }>(
        (await manager.query('DELETE FROM consents WHERE user_id = $1 AND client_id = $2 RETURNING client_id', [userId, clientId])) as unknown,
      );
      if (deleted.length === 0) return undefined;
      return this.grants.revokeForUserAndClient(manager, userId, clientId);
    });
    if (revoked === undefined) return false;
    const { families, accessTokens } = revoked;
    this.audit.record({
      type: 'consent.revoked',
      outcome: 'success',
      actor: actor ?? { type: 'user', id: userId },
      subject: { type: 'user', id: userId },
      details: { client_id: clientId, revoked_families: families.length, revoked_access_tokens: accessTokens },
    });
    // After the commit, best effort: Redis gets what it misses now later.
    if (accessTokens > 0) await this.revocations.sharePending();
    return true;
  }
}
