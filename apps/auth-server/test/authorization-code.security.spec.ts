// Attacks on authorization codes: replay (RFC 6749 s4.1.2, s10.5: a second use must fail
// and should revoke what the first issued), cross-client redemption and redirect URI
// substitution (RFC 6749 s4.1.3, RFC 9700 s4.1), PKCE bypass (RFC 7636 s4.6, RFC 9700 s4.8).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AuditQueryService, AuditService } from '@authkit/audit';
import { describeEachDatabase } from '@authkit/testing';
import { AuthorizationCodeService, type CodeGrant } from '../src/app/authorize/authorization-code.service';
import { RevocationList } from '../src/app/oauth/revocation-list';
import { RefreshTokenService } from '../src/app/refresh/refresh-token.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';

describeEachDatabase('authorization codes', (database) => {
  let server: RunningAuthServer;
  let codes: AuthorizationCodeService;
  beforeAll(async () => {
    server = await startAuthServer(database());
    codes = server.app.get(AuthorizationCodeService);
  });
  afterAll(() => server?.close());

  function grant(): { grant: CodeGrant; verifier: string } {
    const verifier = randomBytes(32).toString('base64url');
    return {
      verifier,
      grant: {
        clientId: 'web',
        redirectUri: 'https://app.example.com/callback',
        codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
        userId: 'user-7',
        scope: ['openid', 'offline_access'],
        nonce: 'n-123',
        authTime: 1_800_000_000,
        amr: ['pwd', 'otp'],
      },
    };
  }

  it('redeems once with the right client, redirect URI and verifier', async () => {
    const { grant: g, verifier } = grant();
    const code = await codes.issue(g, 60);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const redeemed = await codes.redeem(code, 'web', g.redirectUri, verifier);
    expect(redeemed.grant).toMatchObject({ userId: 'user-7', scope: g.scope, nonce: 'n-123', amr: ['pwd', 'otp'] });
  });

  it('refuses a replay and revokes the access token and refresh family the first use issued', async () => {
    const { grant: g, verifier } = grant();
    const code = await codes.issue(g, 60);
    const first = await codes.redeem(code, 'web', g.redirectUri, verifier);
    const refresh = server.app.get(RefreshTokenService);
    const { token: refreshToken, familyId } = await refresh.issue({ clientId: 'web', userId: 'user-7', scope: g.scope, authTime: g.authTime, amr: g.amr }, { idle: 3_600, absolute: 86_400 }, { jti: randomUUID(), expiresAt: Math.floor(Date.now() / 1000) + 600 });
    const exp = Math.floor(Date.now() / 1000) + 600;
    await codes.recordIssued(first.id, { accessJti: 'jti-from-first-use', accessExp: exp, refreshFamily: familyId });

    await expect(codes.redeem(code, 'web', g.redirectUri, verifier)).rejects.toMatchObject({ code: 'invalid_grant' });
    expect(await server.app.get(RevocationList).isRevoked('jti-from-first-use')).toBe(true);
    await expect(refresh.rotate(refreshToken, 'web', 3_600, { jti: randomUUID(), expiresAt: exp })).rejects.toMatchObject({ code: 'invalid_grant' });
    await server.app.get(AuditService).flush();
    expect((await server.app.get(AuditQueryService).find({ type: 'code.replayed' })).events.length).toBeGreaterThan(0);
  });

  it.each([
    ['another client', { clientId: 'other' }],
    ['another redirect URI', { redirectUri: 'https://app.example.com/callback/' }],
    ['no redirect URI', { redirectUri: undefined }],
    ['a wrong verifier', { verifier: randomBytes(32).toString('base64url') }],
    ['no verifier', { verifier: undefined }],
  ])('refuses redemption with %s and revokes nothing on a later attempt', async (_case, change) => {
    const { grant: g, verifier } = grant();
    const code = await codes.issue(g, 60);
    const attempt = { clientId: 'web', redirectUri: g.redirectUri as string | undefined, verifier: verifier as string | undefined, ...change };
    await expect(codes.redeem(code, attempt.clientId, attempt.redirectUri, attempt.verifier)).rejects.toMatchObject({ code: 'invalid_grant' });
    // The code was not consumed: the rightful client still redeems it.
    await expect(codes.redeem(code, 'web', g.redirectUri, verifier)).resolves.toBeDefined();
  });

  it('refuses the challenge itself as verifier', async () => {
    const { grant: g } = grant();
    const code = await codes.issue(g, 60);
    await expect(codes.redeem(code, 'web', g.redirectUri, g.codeChallenge)).rejects.toMatchObject({ code: 'invalid_grant' });
  });

  it('refuses an expired code', async () => {
    const { grant: g, verifier } = grant();
    const code = await codes.issue(g, 1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await expect(codes.redeem(code, 'web', g.redirectUri, verifier)).rejects.toMatchObject({ code: 'invalid_grant' });
  });

  it('lets exactly one of concurrent redemptions succeed', async () => {
    const { grant: g, verifier } = grant();
    const code = await codes.issue(g, 60);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => codes.redeem(code, 'web', g.redirectUri, verifier)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});
