import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@authkit/audit';
import { hashOpaqueToken, newOpaqueToken, returnedRows } from '../crypto/opaque-token';
import { OAuthError } from '../oauth/oauth-error';
import { RevocationList } from '../oauth/revocation-list';
import { GrantRevocation } from '../refresh/grant-revocation.service';
import { pkceVerifierMatches } from './pkce';

/** What a code stands for, fixed when it is issued. */
export interface CodeGrant {
  readonly clientId: string;
  readonly redirectUri: string;
  /** False when the authorization request omitted `redirect_uri` (one registered; RFC 6749 s3.1.2.3). Default true. */
  readonly redirectUriSent?: boolean;
  readonly codeChallenge: string;
  readonly userId: string;
  readonly scope: readonly string[];
  readonly nonce: string | undefined;
  readonly authTime: number;
  readonly amr: readonly string[];
}

/** A redeemed code: its grant, and the id under which to record what was issued for it. */
export interface RedeemedCode {
  readonly id: string;
  readonly grant: CodeGrant;
}

interface Row {
  id: string;
  client_id: string;
  redirect_uri: string;
  redirect_uri_sent: boolean;
  code_challenge: string;
  user_id: string;
  scope: string;
  nonce: string | null;
  auth_time: string;
  amr: string[];
  expires_at: Date;
  redeemed_at: Date | null;
  issued_access_jti: string | null;
  issued_access_exp: string | null;
  issued_refresh_family: string | null;
}

/**
 * Authorization codes: opaque, high-entropy, stored as hashes, living `AUTH_CODE_TTL`
 * seconds (60 by default), bound to client, redirect URI and PKCE challenge, and redeemable
 * once. A second redemption by the rightful client (right credentials, redirect URI and
 * verifier) is a replay: it fails and revokes everything the first one issued (RFC 6749
 * s4.1.2). A redemption with the wrong client, redirect URI or verifier fails and revokes
 * nothing, so a thief without the verifier cannot burn the user's tokens.
 */
@Injectable()
export class AuthorizationCodeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly revocations: RevocationList,
    private readonly grants: GrantRevocation,
    private readonly audit: AuditService,
  ) {}

  /** Issues a code; returns it once, in clear. */
  async issue(grant: CodeGrant, ttlSeconds: number): Promise<string> {
    const code = newOpaqueToken();
    await this.dataSource.query(
      `INSERT INTO authorization_codes (id, code_hash, client_id, redirect_uri, code_challenge, user_id, scope, nonce, auth_time, amr, expires_at, redirect_uri_sent)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now() + make_interval(secs => $11), $12)`,
      [randomUUID(), hashOpaqueToken(code), grant.clientId, grant.redirectUri, grant.codeChallenge, grant.userId, grant.scope.join(' '), grant.nonce ?? null, grant.authTime, [...grant.amr], ttlSeconds, grant.redirectUriSent ?? true],
    );
    this.audit.record({ type: 'code.issued', outcome: 'success', actor: { type: 'user', id: grant.userId }, details: { client_id: grant.clientId } });
    return code;
  }

  /**
   * Redeems `code` for the token endpoint (RFC 6749 s4.1.3, RFC 7636 s4.6).
   * @throws OAuthError `invalid_grant` for an unknown, expired, foreign, mismatched or replayed code.
   */
  async redeem(code: string, clientId: string, redirectUri: string | undefined, verifier: string | undefined): Promise<RedeemedCode> {
    const [row] = (await this.dataSource.query('SELECT * FROM authorization_codes WHERE code_hash = $1', [hashOpaqueToken(code)])) as Row[];
    const invalid = () => new OAuthError('invalid_grant', 'The authorization code is invalid, expired or already used.');
    // Binding checks first: a wrong client, redirect URI or verifier never revokes anything.
    if (!row || row.client_id !== clientId || !redirectUriMatches(row, redirectUri) || !pkceVerifierMatches(verifier, row.code_challenge)) {
      throw invalid();
    }
    const claimed = (await this.dataSource.query(
      'UPDATE authorization_codes SET redeemed_at = now() WHERE id = $1 AND redeemed_at IS NULL AND expires_at > now() RETURNING id',
      [row.id],
    )) as unknown;
    const won = returnedRows(claimed).length === 1;
    if (!won) {
      if (row.redeemed_at) await this.revokeIssued(row.id);
      throw invalid();
    }
    this.audit.record({ type: 'code.redeemed', outcome: 'success', actor: { type: 'client', id: clientId }, subject: { type: 'user', id: row.user_id } });
    return {
      id: row.id,
      grant: {
        clientId,
        redirectUri: row.redirect_uri,
        redirectUriSent: row.redirect_uri_sent,
        codeChallenge: row.code_challenge,
        userId: row.user_id,
        scope: row.scope.split(' ').filter(Boolean),
        nonce: row.nonce ?? undefined,
        authTime: Number(row.auth_time),
        amr: row.amr,
      },
    };
  }

  /** Remembers what a redemption issued, so that a replay can revoke it. */
  async recordIssued(codeId: string, issued: { accessJti: string; accessExp: number; refreshFamily?: string }): Promise<void> {
    await this.dataSource.query(
      'UPDATE authorization_codes SET issued_access_jti = $2, issued_access_exp = $3, issued_refresh_family = $4 WHERE id = $1',
      [codeId, issued.accessJti, issued.accessExp, issued.refreshFamily ?? null],
    );
  }

  /**
   * After {@link recordIssued} and before the tokens go out: if the code was replayed
   * meanwhile, revokes what this redemption issued and refuses it. With the replay marking
   * the code before it reads the record (see revokeIssued), one of the two always sees the
   * other, so a replay racing the first exchange never leaves its tokens live.
   *
   * @throws OAuthError `invalid_grant` when the code was replayed.
   */
  async assertNotReplayed(codeId: string): Promise<void> {
    const [row] = (await this.dataSource.query('SELECT replayed_at FROM authorization_codes WHERE id = $1', [codeId])) as { replayed_at: Date | null }[];
    if (!row?.replayed_at) return;
    await this.revokeIssued(codeId);
    throw new OAuthError('invalid_grant', 'The authorization code is invalid, expired or already used.');
  }

  /**
   * A replay: marks the code, then revokes what its redemption issued, read in the same
   * statement (so a redemption still in progress either has recorded it by then, or will
   * see the mark in {@link assertNotReplayed}).
   */
  private async revokeIssued(codeId: string): Promise<void> {
    const [row] = returnedRows<Pick<Row, 'client_id' | 'user_id' | 'issued_access_jti' | 'issued_access_exp' | 'issued_refresh_family'>>(
      (await this.dataSource.query(
        `UPDATE authorization_codes SET replayed_at = coalesce(replayed_at, now()) WHERE id = $1
         RETURNING client_id, user_id, issued_access_jti, issued_access_exp, issued_refresh_family`,
        [codeId],
      )) as unknown,
    );
    if (!row) return;
    // Neither step fails on a Redis error (the revocation list shares what Redis misses
    // later), so a blip cannot leave the family live or the replay unaudited.
    if (row.issued_refresh_family) {
      await this.grants.revokeFamily(row.issued_refresh_family);
    }
    if (row.issued_access_jti && row.issued_access_exp) {
      await this.revocations.record(row.issued_access_jti, row.client_id, Number(row.issued_access_exp));
    }
    this.audit.record({ type: 'code.replayed', outcome: 'failure', actor: { type: 'client', id: row.client_id }, subject: { type: 'user', id: row.user_id }, details: { revoked_access_token: row.issued_access_jti !== null, revoked_refresh_family: row.issued_refresh_family !== null } });
  }
}

/**
 * RFC 6749 s4.1.3: `redirect_uri` is required at the token endpoint, identical, when the
 * authorization request included it; when that request omitted it, the token request may
 * omit it too (or send the same one).
 */
function redirectUriMatches(row: Pick<Row, 'redirect_uri' | 'redirect_uri_sent'>, presented: string | undefined): boolean {
  if (presented === undefined) return !row.redirect_uri_sent;
  return presented === row.redirect_uri;
}
