// Attack: refresh token replay after theft (RFC 9700 s4.14.2: rotation with reuse
// detection revokes the family), the concurrent-use race across instances, and
// cross-client redemption (RFC 6749 s6, s10.4).
import { randomUUID } from 'node:crypto';
import { AuditQueryService, AuditService } from '@authkit/audit';
import { describeEachDatabase, openTestDataSource } from '@authkit/testing';
import { AUTH_SERVER_SCHEMA } from '../src/app/database-schema';
import { hashOpaqueToken } from '../src/app/crypto/opaque-token';
import { RevocationList } from '../src/app/oauth/revocation-list';
import { GrantRevocation } from '../src/app/refresh/grant-revocation.service';
import { RefreshTokenService } from '../src/app/refresh/refresh-token.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';

const grant = { clientId: 'app', userId: 'user-1', scope: ['openid', 'offline_access', 'demo:read'], authTime: 1_800_000_000, amr: ['pwd'] };
const lifetimes = { idle: 3_600, absolute: 86_400 };
/** The access token handed out with a refresh token: a fresh jti living ten minutes. */
const access = () => ({ jti: randomUUID(), expiresAt: Math.floor(Date.now() / 1000) + 600 });

describeEachDatabase('refresh token rotation', (database) => {
  let server: RunningAuthServer;
  let refresh: RefreshTokenService;
  beforeAll(async () => {
    server = await startAuthServer(database());
    refresh = server.app.get(RefreshTokenService);
  });
  afterAll(() => server?.close());

  async function age(): Promise<void> {
    // Pretend the rotation happened a minute ago: past the concurrent-request window.
    const dataSource = await openTestDataSource(database(), AUTH_SERVER_SCHEMA, { migrationsRun: false });
    try {
      await dataSource.query(`UPDATE refresh_tokens SET rotated_at = now() - interval '1 minute' WHERE rotated_at IS NOT NULL`);
    } finally {
      await dataSource.destroy();
    }
  }

  it('rotates: the new token works, the old one no longer does', async () => {
    const { token: first } = await refresh.issue(grant, lifetimes, access());
    const { token: second, grant: rotated } = await refresh.rotate(first, 'app', 3_600, access());
    expect(second).not.toBe(first);
    expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated).toMatchObject({ userId: 'user-1', scope: grant.scope });
    const { token: third } = await refresh.rotate(second, 'app', 3_600, access());
    expect(third).toBeDefined();
  });

  it('revokes the whole family when a rotated token is presented again (reuse)', async () => {
    const { token: first } = await refresh.issue(grant, lifetimes, access());
    const { token: second } = await refresh.rotate(first, 'app', 3_600, access());
    await age();
    await expect(refresh.rotate(first, 'app', 3_600, access())).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(refresh.rotate(second, 'app', 3_600, access())).rejects.toMatchObject({ code: 'invalid_grant' }); // family revoked
    await server.app.get(AuditService).flush();
    const events = await server.app.get(AuditQueryService).find({ type: 'token.refresh.reuse_detected' });
    expect(events.events.length).toBeGreaterThan(0);
  });

  it('lets exactly one of many concurrent rotations of one token succeed, without revoking the winner', async () => {
    const { token } = await refresh.issue(grant, lifetimes, access());
    // A second instance: its own pool on a real server (the embedded one serves one connection).
    const other = database().embedded ? undefined : await openTestDataSource(database(), AUTH_SERVER_SCHEMA, { migrationsRun: false });
    const secondInstance = other ? new RefreshTokenService(other, server.app.get(AuditService), server.app.get(GrantRevocation)) : refresh;
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? secondInstance : refresh).rotate(token, 'app', 3_600, access())),
      );
      const won = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ token: string }>[];
      expect(won).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'invalid_grant')).toBe(true);
      await expect(refresh.rotate(won[0]!.value.token, 'app', 3_600, access())).resolves.toBeDefined();
    } finally {
      await other?.destroy();
    }
  });

  it('a family revocation racing a rotation also revokes the token that rotation creates, and its access token', async () => {
    // RFC 9700 s4.14.2 / RFC 7009 s2.1: a rotation in flight must not outlive a revocation
    // of its family. The rotation is played by hand on a second connection: claim, then the
    // revocation starts (and waits on the claimed row), then the new token is inserted and
    // committed. Needs two connections: real PostgreSQL only.
    if (database().embedded) return;
    const { token, familyId } = await refresh.issue(grant, lifetimes, access());
    const other = await openTestDataSource(database(), AUTH_SERVER_SCHEMA, { migrationsRun: false });
    const runner = other.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query('UPDATE refresh_tokens SET rotated_at = now() WHERE token_hash = $1', [hashOpaqueToken(token)]);
      const revoking = server.app.get(GrantRevocation).revokeFamily(familyId);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the revocation is now waiting on the claimed row
      const late = access();
      await runner.query(
        `INSERT INTO refresh_tokens (id, token_hash, family_id, parent_id, client_id, user_id, scope, auth_time, amr, expires_at, family_expires_at, access_jti, access_expires_at)
         SELECT $1, $2, family_id, id, client_id, user_id, scope, auth_time, amr, now() + interval '1 hour', family_expires_at, $3, to_timestamp($4)
         FROM refresh_tokens WHERE token_hash = $5`,
        [randomUUID(), hashOpaqueToken(randomUUID()), late.jti, late.expiresAt, hashOpaqueToken(token)],
      );
      await runner.commitTransaction();
      await revoking;
      const live = (await other.query('SELECT count(*)::int AS n FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL', [familyId])) as { n: number }[];
      expect(live[0]!.n).toBe(0);
      expect(await server.app.get(RevocationList).isRevoked(late.jti)).toBe(true);
    } finally {
      await runner.release();
      await other.destroy();
    }
  });

  it('refuses another client without revoking anything', async () => {
    const { token } = await refresh.issue(grant, lifetimes, access());
    await expect(refresh.rotate(token, 'other-client', 3_600, access())).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(refresh.rotate(token, 'app', 3_600, access())).resolves.toBeDefined();
  });

  it('allows a narrower scope and refuses a wider one without burning the token', async () => {
    const { token } = await refresh.issue(grant, lifetimes, access());
    await expect(refresh.rotate(token, 'app', 3_600, access(), ['openid', 'admin'])).rejects.toMatchObject({ code: 'invalid_scope' });
    const { grant: narrowed } = await refresh.rotate(token, 'app', 3_600, access(), ['openid']);
    expect(narrowed.scope).toEqual(['openid']);
  });

  it('ends the family at its absolute lifetime whatever the idle lifetime says', async () => {
    const { token } = await refresh.issue(grant, { idle: 3_600, absolute: 1 }, access());
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await expect(refresh.rotate(token, 'app', 3_600, access())).rejects.toMatchObject({ code: 'invalid_grant' });
  });

  it('refuses unknown and malformed tokens', async () => {
    await expect(refresh.rotate('x'.repeat(43), 'app', 3_600, access())).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(refresh.rotate('', 'app', 3_600, access())).rejects.toMatchObject({ code: 'invalid_grant' });
  });
});
