import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService, type AuditParty } from '@authkit/audit';
import { OAuthError } from '../oauth/oauth-error';
import { CLIENT_ID, clientMetadataSchema, clientUpdateSchema, describeIssues, type ClientMetadataInput } from './client-metadata.schema';
import { ClientEntity, ClientSecretEntity } from './client.entity';
import { ClientSecretHasher } from './client-secret.hasher';
import { fromMetadata, toMetadataInput, stripNulls, canonicalJson, normalise, toView, CLEARED_BY_OMISSION, type ClientView } from './client-metadata.mapper';
import { GrantRevocation } from '../refresh/grant-revocation.service';

export type { ClientView };

const CACHE_TTL_MS = 2_000; // a change made on another instance is seen within this

/** A client and the hashes of its currently valid secrets, as authentication needs them. */
export interface ClientCredentials {
  readonly client: ClientEntity;
  readonly secretHashes: readonly string[];
}

/**
 * The client registry: create, update, delete, list, secret rotation with a grace period,
 * and a short-lived cache for the token endpoint's hot path.
 */
@Injectable()
export class ClientService {
  private readonly cache = new Map<string, { value: ClientCredentials | null; until: number }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly hasher: ClientSecretHasher,
    private readonly audit: AuditService,
    private readonly grants: GrantRevocation,
  ) {}

  /** The client and its valid secret hashes, or null; cached for {@link CACHE_TTL_MS}. */
  async credentials(clientId: string): Promise<ClientCredentials | null> {
    // An id no registration could have is unknown without a lookup: PostgreSQL refuses a
    // NUL byte in text, and that must be invalid_client (RFC 6749 s5.2), not a 500. It also
    // keeps 5,000-character ids out of the cache. The caller still runs the decoy comparison.
    if (!CLIENT_ID.test(clientId)) return null;
    const cached = this.cache.get(clientId);
    if (cached && cached.until > Date.now()) return cached.value;
    const client = await this.dataSource.getRepository(ClientEntity).findOneBy({ clientId });
    const secrets = client
      ? await this.dataSource.query(
          'SELECT secret_hash FROM oauth_client_secrets WHERE client_id = $1 AND (expires_at IS NULL OR expires_at > now())',
          [clientId],
        )
      : [];
    const value = client ? { client, secretHashes: (secrets as { secret_hash: string }[]).map((s) => s.secret_hash) } : null;
    if (this.cache.size > 10_000) this.cache.clear(); // bounded: unknown ids are cached too
    this.cache.set(clientId, { value, until: Date.now() + CACHE_TTL_MS });
    return value;
  }

  async list(): Promise<ClientView[]> {
    const clients = await this.dataSource.getRepository(ClientEntity).find({ order: { clientId: 'ASC' } });
    const counts = await this.secretCounts();
    return clients.map((c) => toView(c, counts.get(c.clientId) ?? 0));
  }

  async get(clientId: string): Promise<ClientView> {
    assertClientIdForm(clientId);
    const client = await this.dataSource.getRepository(ClientEntity).findOneBy({ clientId });
    if (!client) throw new OAuthError('not_found', 'No such client.');
    return toView(client, (await this.secretCounts(clientId)).get(clientId) ?? 0);
  }

  /**
   * Registers a client. Confidential clients get a secret: the one given (at least 32
   * characters) or a generated 256-bit one, returned once in `client_secret`.
   *
   * @throws OAuthError `invalid_client_metadata` for invalid metadata or a taken client_id.
   */
  async create(input: unknown, actor: AuditParty): Promise<ClientView> {
    const parsed = clientMetadataSchema.safeParse(input);
    if (!parsed.success) throw new OAuthError('invalid_client_metadata', describeIssues(parsed.error));
    const metadata = parsed.data;
    const clientId = metadata.client_id ?? randomUUID();
    const needsSecret = metadata.token_endpoint_auth_method.startsWith('client_secret');
    const secret = needsSecret ? (metadata.client_secret ?? this.hasher.generate()) : undefined;
    const view = await this.dataSource.transaction(async (manager) => {
      if (await manager.getRepository(ClientEntity).existsBy({ clientId })) {
        throw new OAuthError('invalid_client_metadata', 'client_id: already registered');
      }
      const client = await manager.getRepository(ClientEntity).save(fromMetadata(new ClientEntity(), clientId, metadata));
      if (secret) await this.addSecret(manager, clientId, secret);
      return toView(client, secret ? 1 : 0);
    });
    this.forget(clientId);
    this.audit.record({ type: 'client.created', outcome: 'success', actor, subject: { type: 'client', id: clientId }, details: { grant_types: metadata.grant_types, token_endpoint_auth_method: metadata.token_endpoint_auth_method } });
    return secret && !metadata.client_secret ? { ...view, client_secret: secret } : view;
  }

  /** Changes metadata; the result must still be a valid registration. */
  async update(clientId: string, input: unknown, actor: AuditParty): Promise<ClientView> {
    assertClientIdForm(clientId);
    const patch = clientUpdateSchema.safeParse(input);
    if (!patch.success) throw new OAuthError('invalid_client_metadata', describeIssues(patch.error));
    const view = await this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(ClientEntity);
      const client = await repo.findOneBy({ clientId });
      if (!client) throw new OAuthError('not_found', 'No such client.');
      // null in the patch clears a member (the update schema allows it for exactly that), so
      // nulls are dropped after merging, not before: else the current value would survive.
      const merged = clientMetadataSchema.safeParse(stripNulls({ ...toMetadataInput(client), ...patch.data }));
      if (!merged.success) throw new OAuthError('invalid_client_metadata', describeIssues(merged.error));
      const saved = await repo.save(fromMetadata(client, clientId, merged.data));
      return toView(saved, (await this.secretCounts(clientId, manager)).get(clientId) ?? 0);
    });
    this.forget(clientId);
    this.audit.record({ type: 'client.updated', outcome: 'success', actor, subject: { type: 'client', id: clientId }, details: { changed: Object.keys(patch.data) } });
    return view;
  }

  /**
   * Deletes the client, then revokes its grants: refresh token families and the access
   * tokens issued with them (RFC 7009 s2.1). Its client-credentials access tokens are
   * recorded nowhere but the audit log and live until their `exp`.
   */
  async delete(clientId: string, actor: AuditParty): Promise<void> {
    assertClientIdForm(clientId);
    const result = await this.dataSource.getRepository(ClientEntity).delete({ clientId });
    this.forget(clientId);
    if (!result.affected) throw new OAuthError('not_found', 'No such client.');
    const { families, accessTokens } = await this.grants.revokeForClient(clientId);
    this.audit.record({
      type: 'client.deleted',
      outcome: 'success',
      actor,
      subject: { type: 'client', id: clientId },
      details: { revoked_families: families.length, revoked_access_tokens: accessTokens },
    });
  }

  /**
   * Issues a new secret. The current ones stay valid for `graceSeconds` (0 ends them now),
   * so deployments can switch without downtime.
   *
   * @param secret a secret to install (bootstrap file); otherwise one is generated and returned.
   */
  async rotateSecret(clientId: string, graceSeconds: number, actor: AuditParty, secret?: string): Promise<ClientView> {
    assertClientIdForm(clientId);
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > 30 * 86_400) {
      throw new OAuthError('invalid_request', 'grace_seconds must be a whole number from 0 to 2592000');
    }
    const next = secret ?? this.hasher.generate();
    const view = await this.dataSource.transaction(async (manager) => {
      const client = await manager.getRepository(ClientEntity).findOneBy({ clientId });
      if (!client) throw new OAuthError('not_found', 'No such client.');
      if (!client.tokenEndpointAuthMethod.startsWith('client_secret')) {
        throw new OAuthError('invalid_request', 'This client authenticates without a secret.');
      }
      await manager.query(
        `UPDATE oauth_client_secrets SET expires_at = now() + make_interval(secs => $2)
         WHERE client_id = $1 AND (expires_at IS NULL OR expires_at > now() + make_interval(secs => $2))`,
        [clientId, graceSeconds],
      );
      await this.addSecret(manager, clientId, next);
      return toView(client, (await this.secretCounts(clientId, manager)).get(clientId) ?? 0);
    });
    this.forget(clientId);
    this.audit.record({ type: 'client.secret.rotated', outcome: 'success', actor, subject: { type: 'client', id: clientId }, details: { grace_seconds: graceSeconds } });
    return secret ? view : { ...view, client_secret: next };
  }

  /**
   * Creates or updates a client from the bootstrap file. Applying the same entry twice
   * changes nothing; a changed `client_secret` rotates the secret (no grace period).
   */
  async applyBootstrap(input: ClientMetadataInput, actor: AuditParty): Promise<'created' | 'updated' | 'unchanged'> {
    const parsed = clientMetadataSchema.safeParse(input);
    if (!parsed.success) throw new OAuthError('invalid_client_metadata', describeIssues(parsed.error));
    const { client_id: clientId, client_secret: secret, ...rest } = parsed.data;
    if (!clientId) throw new OAuthError('invalid_client_metadata', 'client_id: required in a bootstrap file');
    const existing = await this.dataSource.getRepository(ClientEntity).findOneBy({ clientId });
    if (!existing) {
      await this.create(parsed.data, actor);
      return 'created';
    }
    let changed = false;
    const current = toMetadataInput(existing);
    // The file states the whole registration: an optional member it leaves out is cleared.
    const desired = { ...CLEARED_BY_OMISSION, ...rest };
    if (canonicalJson(normalise(current)) !== canonicalJson(normalise(desired))) {
      await this.update(clientId, desired, actor);
      changed = true;
    }
    if (secret) {
      const credentials = await this.credentials(clientId);
      if (!credentials || !this.hasher.matches(secret, credentials.secretHashes)) {
        await this.rotateSecret(clientId, 0, actor, secret);
        changed = true;
      }
    }
    return changed ? 'updated' : 'unchanged';
  }

  private async addSecret(manager: EntityManager, clientId: string, secret: string): Promise<void> {
    await manager.getRepository(ClientSecretEntity).insert({
      id: randomUUID(),
      clientId,
      secretHash: this.hasher.hash(secret),
      createdAt: new Date(),
      expiresAt: null,
    });
  }

  private async secretCounts(clientId?: string, manager: EntityManager = this.dataSource.manager): Promise<Map<string, number>> {
    const rows = (await manager.query(
      `SELECT client_id, count(*)::int AS n FROM oauth_client_secrets
       WHERE (expires_at IS NULL OR expires_at > now()) ${clientId ? 'AND client_id = $1' : ''} GROUP BY client_id`,
      clientId ? [clientId] : [],
    )) as { client_id: string; n: number }[];
    return new Map(rows.map((r) => [r.client_id, r.n]));
  }

  private forget(clientId: string): void {
    this.cache.delete(clientId);
  }
}

/**
 * Every registered client_id has the `CLIENT_ID` form, so another string (a path segment
 * with U+0000, which PostgreSQL text cannot hold, say) names no client and is not looked up.
 *
 * @throws OAuthError `not_found`.
 */
function assertClientIdForm(clientId: string): void {
  if (!CLIENT_ID.test(clientId)) throw new OAuthError('not_found', 'No such client.');
}
