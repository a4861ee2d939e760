import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '@authkit/audit';
import { hashOpaqueToken, newOpaqueToken, returnedRows } from '../crypto/opaque-token';
import { OAuthError } from '../oauth/oauth-error';
import { GrantRevocation } from './grant-revocation.service';

/**
 * A second presentation of a token rotated less than this many seconds ago is treated as
 * a race between a client's own concurrent requests: refused, without revoking the family.
 * Later presentations are reuse: the family is revoked (RFC 9700 s4.14.2).
 */
export const CONCURRENT_ROTATION_WINDOW_S = 2;

/** What a refresh token stands for. */
export interface RefreshGrant {
  readonly clientId: string;
  readonly userId: string;
  readonly scope: readonly string[];
  readonly authTime: number;
  readonly amr: readonly string[];
}

/** Lifetimes in seconds: idle (each token) and absolute (the whole family). */
export interface RefreshLifetimes {
  readonly idle: number;
  readonly absolute: number;
}

/**
 * The access token handed out with a refresh token (same token response), recorded with it
 * so that revoking the grant revokes the access token too (RFC 7009 s2.1).
 */
export interface CompanionAccessToken {
  readonly jti: string;
  /** An upper bound of its `exp`, seconds since the epoch. */
  readonly expiresAt: number;
}

/** A new family's first token. */
export interface IssuedRefreshToken {
  /** The opaque token, in clear: shown to the client once, never stored or logged. */
  readonly token: string;
  readonly familyId: string;
}

/** The result of a rotation: the new token, and the grant the new access token is for. */
export interface RotatedRefreshToken extends IssuedRefreshToken {
  /** The family's grant, its scope narrowed to what the request asked for. */
  readonly grant: RefreshGrant;
}

/** A live refresh token, as introspection describes it. */
export interface ActiveRefreshToken {
  readonly familyId: string;
  readonly clientId: string;
  readonly userId: string;
  readonly scope: readonly string[];
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  /** The earlier of the idle and the absolute expiry, seconds since the epoch. */
  readonly expiresAt: number;
}

interface Row {
  id: string;
  family_id: string;
  client_id: string;
  user_id: string;
  scope: string;
  auth_time: string;
  amr: string[];
  family_expires_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
  expires_at: Date;
}

/**
 * Issues and rotates refresh tokens. Rotation is one conditional UPDATE, so of several
 * concurrent requests with the same token, on any number of instances, exactly one wins.
 */
@Injectable()
export class RefreshTokenService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly grants: GrantRevocation,
  ) {}

  /**
   * Starts a family. Returns the opaque token, shown to the client once, and the family id
   * (what an authorization code replay revokes, RFC 6749 s4.1.2). A caller may choose the
   * family id beforehand, to record it before the token exists. `access` is the access
   * token issued with it, revoked with the family.
   */
  async issue(grant: RefreshGrant, lifetimes: RefreshLifetimes, access: CompanionAccessToken, familyId: string = randomUUID()): Promise<IssuedRefreshToken> {
    const familyExpiresAt = new Date(Date.now() + lifetimes.absolute * 1000);
    const token = await this.insert(this.dataSource.manager, grant, familyId, null, lifetimes.idle, familyExpiresAt, access);
    return { token, familyId };
  }

  /**
   * Exchanges `presented` for a new token of the same family (RFC 6749 s6; rotation per
   * RFC 9700 s4.14.2). A narrower scope may be asked for (the returned grant carries it,
   * for the access token); a wider one is `invalid_scope`. The new refresh token keeps the
   * original scope: RFC 6749 s6 "MUST be identical to that of the refresh token included
   * by the client in the request". `access` is the access token to be issued with the new
   * refresh token, revoked with the family.
   *
   * @throws OAuthError `invalid_grant` for an unknown, expired, revoked, foreign or reused
   *   token; reuse revokes the whole family.
   */
  async rotate(
    presented: string,
    clientId: string,
    idleSeconds: number,
    access: CompanionAccessToken,
    scope?: readonly string[],
  ): Promise<RotatedRefreshToken> {
    const hash = hashOpaqueToken(presented);
    // The claim and the new token commit together: the claimed row stays locked until the
    // new one exists, so a family revocation racing this rotation waits for it and then
    // finds the new token too (see revokeWhere); a refused scope rolls the claim back.
    const rotated = await this.dataSource.transaction(async (manager) => {
      const claimed = (await manager.query(
        `UPDATE refresh_tokens SET rotated_at = now()
         WHERE token_hash = $1 AND client_id = $2 AND rotated_at IS NULL AND revoked_at IS NULL
           AND expires_at > now() AND family_expires_at > now()
         RETURNING id, family_id, client_id, user_id, scope, auth_time, amr, family_expires_at, rotated_at, revoked_at, expires_at`,
        [hash, clientId],
      )) as unknown;
      const row = returnedRows<Row>(claimed)[0];
      if (!row) return undefined;
      const granted = row.scope.split(' ').filter(Boolean);
      const narrowed = scope ?? granted;
      // A bad scope request must not burn the token: the transaction rolls back.
      if (narrowed.some((s) => !granted.includes(s))) throw new OAuthError('invalid_scope', 'The requested scope exceeds the original grant.');
      const original: RefreshGrant = { clientId, userId: row.user_id, scope: granted, authTime: Number(row.auth_time), amr: row.amr };
      const token = await this.insert(manager, original, row.family_id, row.id, idleSeconds, row.family_expires_at, access);
      return { token, familyId: row.family_id, grant: { ...original, scope: narrowed } };
    });
    if (!rotated) return this.refuse(hash, clientId);
    this.audit.record({ type: 'token.refresh.rotated', outcome: 'success', actor: { type: 'client', id: clientId }, subject: { type: 'user', id: rotated.grant.userId }, details: { family: rotated.familyId } });
    return rotated;
  }

  /**
   * The live token `presented`, for introspection (RFC 7662 s2.2), when it belongs to
   * `clientId`; null when it is unknown, foreign, rotated, revoked or expired.
   */
  async find(presented: string, clientId: string): Promise<ActiveRefreshToken | null> {
    const [row] = (await this.dataSource.query(
      `SELECT family_id, client_id, user_id, scope, created_at, LEAST(expires_at, family_expires_at) AS ends_at
       FROM refresh_tokens
       WHERE token_hash = $1 AND client_id = $2 AND rotated_at IS NULL AND revoked_at IS NULL
         AND expires_at > now() AND family_expires_at > now()`,
      [hashOpaqueToken(presented), clientId],
    )) as { family_id: string; client_id: string; user_id: string; scope: string; created_at: Date; ends_at: Date }[];
    if (!row) return null;
    return {
      familyId: row.family_id,
      clientId: row.client_id,
      userId: row.user_id,
      scope: row.scope.split(' ').filter(Boolean),
      issuedAt: Math.floor(new Date(row.created_at).getTime() / 1000),
      expiresAt: Math.floor(new Date(row.ends_at).getTime() / 1000),
    };
  }

  private async refuse(hash: string, clientId: string): Promise<never> {
    const [row] = (await this.dataSource.query(
      `SELECT id, family_id, client_id, user_id, rotated_at, revoked_at, now() - rotated_at < make_interval(secs => $2) AS racing
       FROM refresh_tokens WHERE token_hash = $1`,
      [hash, CONCURRENT_ROTATION_WINDOW_S],
    )) as (Row & { racing: boolean | null })[];
    if (row && row.client_id === clientId && row.rotated_at && !row.revoked_at && !row.racing) {
      await this.grants.revokeFamily(row.family_id);
      this.audit.record({
        type: 'token.refresh.reuse_detected',
        outcome: 'failure',
        actor: { type: 'client', id: clientId },
        subject: { type: 'user', id: row.user_id },
        details: { family: row.family_id },
      });
    }
    throw new OAuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
  }

  private async insert(
    manager: EntityManager,
    grant: RefreshGrant,
    familyId: string,
    parentId: string | null,
    idleSeconds: number,
    familyExpiresAt: Date,
    access: CompanionAccessToken,
  ): Promise<string> {
    const token = newOpaqueToken();
    const expiresAt = new Date(Math.min(Date.now() + idleSeconds * 1000, familyExpiresAt.getTime()));
    await manager.query(
      `INSERT INTO refresh_tokens (id, token_hash, family_id, parent_id, client_id, user_id, scope, auth_time, amr, expires_at, family_expires_at,
                                   access_jti, access_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, to_timestamp($13))`,
      [
        randomUUID(),
        hashOpaqueToken(token),
        familyId,
        parentId,
        grant.clientId,
        grant.userId,
        grant.scope.join(' '),
        grant.authTime,
        [...grant.amr],
        expiresAt,
        familyExpiresAt,
        access.jti,
        access.expiresAt,
      ],
    );
    return token;
  }
}
