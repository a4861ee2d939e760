// Attacks on the user grants at the token endpoint, UserInfo, revocation and introspection:
// authorization code replay (RFC 6749 s4.1.2, s10.5), cross-client code redemption and
// redirect URI substitution (RFC 6749 s4.1.3; RFC 9700 s4.1), PKCE bypass and downgrade
// (RFC 7636 s4.6; RFC 9700 s2.1.1, s4.8), expired codes (RFC 6749 s4.1.2), refresh token
// replay after theft and the concurrent-use race (RFC 9700 s4.14.2), cross-client refresh
// (RFC 6749 s6, s10.4), grants outliving a disabled account (OWASP ASVS 5.0 V7.4), UserInfo
// with the wrong kind of token (OIDC Core s5.3.1; RFC 6750 s3.1), and credentials leaking
// into logs and audit rows (RFC 6749 s10.3; CWE-532).
import { DataSource } from 'typeorm';
import { describeEachDatabase, findSecrets } from '@authkit/testing';
import { hashOpaqueToken } from '../src/app/crypto/opaque-token';
import { AuthorizationCodeService } from '../src/app/authorize/authorization-code.service';
import { ClientService } from '../src/app/clients/client.service';
import { RefreshTokenService } from '../src/app/refresh/refresh-token.service';
import { RevocationList } from '../src/app/oauth/revocation-list';
import { UserService } from '../src/app/users/user.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';
import { allAuditEvents, createUser, issueCode, postForm, registerClient, type Answer, type IssuedCode } from './user-grants.fixture';

const REDIRECT = 'https://app.attack.test/callback';
const SCOPE = 'openid email offline_access';
const STACK_FRAME = /\bat .+\.(?:js|ts|mjs|cjs):\d+/;

describeEachDatabase('user grants under attack', (database) => {
  let server: RunningAuthServer;
  let userId: string;
  const secrets: Record<string, string> = {};
  /** Every code, verifier and token handed out: none may appear in a log line or audit row. */
  const planted: string[] = [];
  const answers: Answer[] = [];

  const auth = (clientId: string) => ({ id: clientId, secret: secrets[clientId]! });
  const token = async (clientId: string, params: Record<string, string | undefined>) => {
    const answer = await postForm(server, '/oauth2/token', params, auth(clientId));
    answers.push(answer);
    for (const name of ['access_token', 'refresh_token', 'id_token']) {
      if (typeof answer.body[name] === 'string') planted.push(answer.body[name] as string);
    }
    return answer;
  };
  const introspect = async (clientId: string, value: string) => (await postForm(server, '/oauth2/introspect', { token: value }, auth(clientId))).body;
  const code = async (clientId = 'web', scope = SCOPE, user = userId) => {
    const issued = await issueCode(server, { clientId, redirectUri: REDIRECT, userId: user, scope, nonce: 'n-1' });
    planted.push(issued.code, issued.verifier);
    return issued;
  };
  const exchange = (issued: IssuedCode, clientId = 'web', overrides: Record<string, string | undefined> = {}) =>
    token(clientId, { grant_type: 'authorization_code', code: issued.code, redirect_uri: issued.redirectUri, code_verifier: issued.verifier, ...overrides });
  const refresh = (clientId: string, refreshToken: string, extra: Record<string, string> = {}) =>
    token(clientId, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });
  const userinfo = (accessToken: string | undefined) =>
    fetch(`${server.url}/oauth2/userinfo`, accessToken === undefined ? {} : { headers: { authorization: `Bearer ${accessToken}` } });

  /** RFC 6749 s5.2 error: status, code, `no-store`, no stack trace. */
  function expectError(answer: Answer, status: number, error: string): void {
    expect({ status: answer.status, error: answer.body['error'] }).toEqual({ status, error });
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(JSON.stringify(answer.body)).not.toMatch(STACK_FRAME);
  }

  /** A fresh grant for `web`: its access and refresh tokens. */
  async function signedIn(clientId = 'web'): Promise<{ access: string; refresh: string }> {
    const answer = await exchange(await code(clientId), clientId);
    expect(answer.status).toBe(200);
    return { access: answer.body['access_token'] as string, refresh: answer.body['refresh_token'] as string };
  }

  /** Moves every rotation a minute into the past: beyond the concurrent-request window. */
  async function ageRotations(): Promise<void> {
    await server.app.get(DataSource).query(`UPDATE refresh_tokens SET rotated_at = now() - interval '1 minute' WHERE rotated_at IS NOT NULL`);
  }

  beforeAll(async () => {
    server = await startAuthServer(database());
    const userGrants = { grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [REDIRECT], scope: SCOPE };
    secrets['web'] = (await registerClient(server, { ...userGrants, client_id: 'web' }))!;
    secrets['other'] = (await registerClient(server, { ...userGrants, client_id: 'other' }))!;
    secrets['code-only'] = (await registerClient(server, { ...userGrants, client_id: 'code-only', grant_types: ['authorization_code'] }))!;
    secrets['service'] = (await registerClient(server, { client_id: 'service', grant_types: ['client_credentials'], scope: 'demo:read' }))!;
    for (const secret of Object.values(secrets)) planted.push(secret);
    userId = await createUser(server, 'victim@attack.test', ['admin']);
  });
  afterAll(() => server?.close());

  describe('authorization code replay (RFC 6749 s4.1.2, s10.5)', () => {
    it('refuses the second use and revokes the access token and refresh family of the first', async () => {
      const issued = await code();
      const first = await exchange(issued);
      expect(first.status).toBe(200);
      const access = first.body['access_token'] as string;
      const refreshToken = first.body['refresh_token'] as string;
      expect(await introspect('web', access)).toMatchObject({ active: true });

      expectError(await exchange(issued), 400, 'invalid_grant');
      expect(await introspect('web', access)).toEqual({ active: false });
      const jti = JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString()) as { jti: string };
      expect(await server.app.get(RevocationList).isRevoked(jti.jti)).toBe(true);
      expect(await introspect('web', refreshToken)).toEqual({ active: false });
      expectError(await refresh('web', refreshToken), 400, 'invalid_grant');
      const events = await allAuditEvents(server);
      expect(events.some((e) => e.type === 'code.replayed')).toBe(true);
    });
  });

  describe('authorization code replay racing the first exchange (RFC 6749 s4.1.2)', () => {
    /** Every refresh token of `userId` still live, and whether an access token introspects active. */
    const liveRefreshTokens = async (user: string) =>
      ((await server.app.get(DataSource).query('SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [user])) as { n: number }[])[0]!.n;

    /**
     * Exchanges a fresh code of a new user, replaying it while the first exchange is paused
     * inside `method` of `target`; both answers must be invalid_grant. Returns the user.
     */
    async function replayDuring<T extends object>(target: T, method: keyof T & string, label: string): Promise<string> {
      const victim = await createUser(server, `race-${label}-${Date.now()}@attack.test`);
      const issued = await code('web', SCOPE, victim);
      const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
      let replay: Answer | undefined;
      const spy = jest.spyOn(target, method as never).mockImplementationOnce((async (...args: unknown[]) => {
        replay = await exchange(issued);
        return original(...args);
      }) as never);
      try {
        const first = await exchange(issued);
        expectError(replay!, 400, 'invalid_grant');
        expectError(first, 400, 'invalid_grant');
      } finally {
        spy.mockRestore();
      }
      return victim;
    }

    it('a replay before the first exchange records what it issues: both refused, nothing live', async () => {
      const victim = await replayDuring(server.app.get(AuthorizationCodeService), 'recordIssued', 'record');
      expect(await liveRefreshTokens(victim)).toBe(0);
    });

    it('a replay after the record but before the refresh token exists: the family is revoked anyway', async () => {
      const victim = await replayDuring(server.app.get(RefreshTokenService), 'issue', 'family');
      expect(await liveRefreshTokens(victim)).toBe(0);
      const events = await allAuditEvents(server);
      expect(events.filter((e) => e.type === 'code.replayed' && e.subject?.id === victim).length).toBeGreaterThan(0);
    });
  });

  describe('cross-client redemption (RFC 6749 s4.1.3: the code is bound to its client)', () => {
    it('refuses another client presenting a stolen code, and revokes nothing of the rightful holder', async () => {
      const issued = await code();
      const first = await exchange(issued);
      expect(first.status).toBe(200);
      expectError(await exchange(issued, 'other'), 400, 'invalid_grant');
      expect(await introspect('web', first.body['access_token'] as string)).toMatchObject({ active: true });
      expect((await refresh('web', first.body['refresh_token'] as string)).status).toBe(200);
    });

    it('refuses another client before the rightful one redeems, leaving the code usable', async () => {
      const issued = await code();
      expectError(await exchange(issued, 'other'), 400, 'invalid_grant');
      expect((await exchange(issued)).status).toBe(200);
    });
  });

  describe('redirect URI substitution and PKCE bypass (RFC 6749 s4.1.3; RFC 7636 s4.6; RFC 9700 s4.8)', () => {
    it.each([
      ['another redirect_uri', (i: IssuedCode) => ({ redirect_uri: `${i.redirectUri}/evil` }), 'invalid_grant'],
      ['a wrong code_verifier', () => ({ code_verifier: 'A'.repeat(43) }), 'invalid_grant'],
      ['the code_challenge as code_verifier (RFC 7636 s4.6)', (i: IssuedCode) => ({ code_verifier: i.challenge }), 'invalid_grant'],
      ['no code_verifier (PKCE downgrade, RFC 9700 s4.8.2)', () => ({ code_verifier: undefined }), 'invalid_grant'],
      ['no redirect_uri although the authorization request had one (RFC 6749 s4.1.3)', () => ({ redirect_uri: undefined }), 'invalid_grant'],
      ['no code', () => ({ code: undefined }), 'invalid_request'],
    ] as const)('refuses %s and revokes nothing: the rightful exchange still works', async (_attack, change, error) => {
      const issued = await code();
      expectError(await exchange(issued, 'web', change(issued)), 400, error);
      const rightful = await exchange(issued);
      expect(rightful.status).toBe(200);
      // And once redeemed, a failed binding check still revokes nothing.
      expectError(await exchange(issued, 'web', change(issued)), 400, error);
      expect(await introspect('web', rightful.body['access_token'] as string)).toMatchObject({ active: true });
    });

    it('lets the token request omit redirect_uri only when the authorization request did (RFC 6749 s4.1.3), and still refuses another one', async () => {
      const omitted = await issueCode(server, { clientId: 'web', redirectUri: REDIRECT, redirectUriSent: false, userId, scope: SCOPE });
      planted.push(omitted.code, omitted.verifier);
      expectError(await exchange(omitted, 'web', { redirect_uri: `${REDIRECT}/evil` }), 400, 'invalid_grant');
      expect((await exchange(omitted, 'web', { redirect_uri: undefined })).status).toBe(200);
    });

    it('refuses a client not registered for authorization_code (unauthorized_client)', async () => {
      expectError(await exchange(await code('service'), 'service'), 400, 'unauthorized_client');
    });
  });

  describe('expired code (RFC 6749 s4.1.2: short-lived; AUTH_CODE_TTL)', () => {
    it('refuses a code past its expiry', async () => {
      const issued = await code();
      await server.app.get(DataSource).query(`UPDATE authorization_codes SET expires_at = now() - interval '1 second' WHERE code_hash = $1`, [
        hashOpaqueToken(issued.code),
      ]);
      expectError(await exchange(issued), 400, 'invalid_grant');
    });
  });

  describe('refresh token replay after theft (RFC 9700 s4.14.2)', () => {
    it('revokes the whole family and the access tokens issued from it when a rotated token is presented again, and audits it', async () => {
      const { refresh: stolen, access: first } = await signedIn();
      const rotated = await refresh('web', stolen);
      expect(rotated.status).toBe(200);
      const current = rotated.body['refresh_token'] as string;
      const latest = rotated.body['access_token'] as string;
      expect(await introspect('web', latest)).toMatchObject({ active: true });
      await ageRotations();
      expectError(await refresh('web', stolen), 400, 'invalid_grant');
      expectError(await refresh('web', current), 400, 'invalid_grant'); // the legitimate client lost it too
      expect(await introspect('web', current)).toEqual({ active: false });
      // RFC 7009 s2.1: the access tokens of the grant go with it, whoever holds them.
      expect(await introspect('web', first)).toEqual({ active: false });
      expect(await introspect('web', latest)).toEqual({ active: false });
      const events = await allAuditEvents(server);
      expect(events.some((e) => e.type === 'token.refresh.reuse_detected' && e.actor?.id === 'web')).toBe(true);
    });

    it('lets exactly one of two concurrent refresh requests succeed, and the winner keeps working', async () => {
      const { refresh: shared } = await signedIn();
      const answers = await Promise.all([refresh('web', shared), refresh('web', shared)]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
      const winner = answers.find((a) => a.status === 200)!;
      expectError(answers.find((a) => a.status === 400)!, 400, 'invalid_grant');
      expect((await refresh('web', winner.body['refresh_token'] as string)).status).toBe(200);
    });

    it('lets exactly one of concurrent refresh requests to two instances on one database succeed', async () => {
      if (database().embedded) return; // the embedded database serves one process; covered on PostgreSQL
      const second = await startAuthServer(database());
      try {
        const { refresh: shared } = await signedIn();
        const send = (url: string) => postForm({ ...server, url }, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: shared }, auth('web'));
        const results = await Promise.all([send(server.url), send(second.url), send(server.url), send(second.url)]);
        for (const r of results) if (typeof r.body['refresh_token'] === 'string') planted.push(r.body['refresh_token'] as string);
        expect(results.filter((r) => r.status === 200)).toHaveLength(1);
        expect(results.filter((r) => r.status === 400).every((r) => r.body['error'] === 'invalid_grant')).toBe(true);
      } finally {
        await second.close();
      }
    });

    it('refuses another client presenting a stolen refresh token, and revokes nothing', async () => {
      const { refresh: stolen } = await signedIn();
      expectError(await refresh('other', stolen), 400, 'invalid_grant');
      expect((await refresh('web', stolen)).status).toBe(200);
    });

    it('refuses a client no longer registered for refresh_token (unauthorized_client)', async () => {
      const { refresh: token } = await signedIn();
      expectError(await refresh('code-only', token), 400, 'unauthorized_client');
    });
  });

  describe('access tokens outliving their grant (RFC 7009 s2.1: revoking a refresh token SHOULD invalidate the access tokens of the same grant)', () => {
    it('revoking a refresh token revokes every unexpired access token of its family, and nothing of another grant', async () => {
      const { access: first, refresh: original } = await signedIn();
      const rotated = await refresh('web', original);
      expect(rotated.status).toBe(200);
      const second = rotated.body['access_token'] as string;
      const other = await signedIn();

      expect((await postForm(server, '/oauth2/revoke', { token: rotated.body['refresh_token'] as string, token_type_hint: 'refresh_token' }, auth('web'))).status).toBe(200);
      expect(await introspect('web', first)).toEqual({ active: false });
      expect(await introspect('web', second)).toEqual({ active: false });
      expect((await userinfo(second)).status).toBe(401);
      expect(await introspect('web', other.access)).toMatchObject({ active: true });
      expect(await introspect('web', other.refresh)).toMatchObject({ active: true });
    });

    it('deleting a client revokes its grants and the access tokens issued with them', async () => {
      secrets['doomed'] = (await registerClient(server, { client_id: 'doomed', grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [REDIRECT], scope: SCOPE }))!;
      planted.push(secrets['doomed']);
      const { access } = await signedIn('doomed');
      const { jti } = JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString()) as { jti: string };
      expect(await server.app.get(RevocationList).isRevoked(jti)).toBe(false);
      await server.app.get(ClientService).delete('doomed', { type: 'system', id: 'test' });
      expect(await server.app.get(RevocationList).isRevoked(jti)).toBe(true);
      const live = (await server.app.get(DataSource).query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE client_id = 'doomed' AND revoked_at IS NULL`)) as { n: number }[];
      expect(live[0]!.n).toBe(0);
      expect((await userinfo(access)).status).toBe(401);
    });
  });

  describe("a disabled user's grants (OWASP ASVS 5.0 V7.4.2: disabling ends active grants)", () => {
    it('refuses to refresh and revokes the family', async () => {
      const victim = await createUser(server, `disabled-${Date.now()}@attack.test`);
      const answer = await exchange(await code('web', SCOPE, victim));
      expect(answer.status).toBe(200);
      await server.app.get(UserService).setDisabled(victim, true, { type: 'system', id: 'test' });
      // Disabling revokes at once: the access token is dead before any refresh is tried.
      expect(await introspect('web', answer.body['access_token'] as string)).toEqual({ active: false });
      expectError(await refresh('web', answer.body['refresh_token'] as string), 400, 'invalid_grant');
      const live = (await server.app.get(DataSource).query('SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [victim])) as { n: number }[];
      expect(live[0]!.n).toBe(0);
      const userinfoAnswer = await userinfo(answer.body['access_token'] as string);
      expect(userinfoAnswer.status).toBe(401);
    });

    it('revokes an access token issued without a refresh token (recorded only on its code)', async () => {
      const victim = await createUser(server, `disabled-no-refresh-${Date.now()}@attack.test`);
      const answer = await exchange(await code('web', 'openid email', victim));
      expect(answer.status).toBe(200);
      expect(answer.body['refresh_token']).toBeUndefined();
      expect(await introspect('web', answer.body['access_token'] as string)).toMatchObject({ active: true });
      await server.app.get(UserService).setDisabled(victim, true, { type: 'system', id: 'test' });
      expect(await introspect('web', answer.body['access_token'] as string)).toEqual({ active: false });
    });

    it('ends the grants and their access tokens when the password is replaced (OWASP ASVS 5.0 V7.4.3)', async () => {
      const victim = await createUser(server, `password-${Date.now()}@attack.test`);
      const answer = await exchange(await code('web', SCOPE, victim));
      expect(answer.status).toBe(200);
      await server.app.get(UserService).setPassword(victim, 'a brand new passphrase for this account', { type: 'system', id: 'test' });
      expect(await introspect('web', answer.body['access_token'] as string)).toEqual({ active: false });
      expectError(await refresh('web', answer.body['refresh_token'] as string), 400, 'invalid_grant');
      const events = await allAuditEvents(server);
      expect(events.some((e) => e.type === 'token.revoked' && e.subject?.id === victim && e.details['reason'] === 'password.changed')).toBe(true);
    });

    it('refuses to redeem a code issued before the user was disabled', async () => {
      const victim = await createUser(server, `disabled-code-${Date.now()}@attack.test`);
      const issued = await code('web', SCOPE, victim);
      await server.app.get(UserService).setDisabled(victim, true, { type: 'system', id: 'test' });
      expectError(await exchange(issued), 400, 'invalid_grant');
    });
  });

  describe('UserInfo with the wrong token (OIDC Core s5.3.1; RFC 6750 s3.1)', () => {
    it('refuses a client credentials token: no openid scope, no user (insufficient_scope)', async () => {
      const cc = await token('service', { grant_type: 'client_credentials' });
      expect(cc.status).toBe(200);
      const answer = await userinfo(cc.body['access_token'] as string);
      expect(answer.status).toBe(403);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+", error="insufficient_scope", scope="openid"$/);
      expect(await answer.json()).toMatchObject({ error: 'insufficient_scope' });
    });

    it('refuses a revoked access token (invalid_token)', async () => {
      const { access } = await signedIn();
      expect((await userinfo(access)).status).toBe(200);
      expect((await postForm(server, '/oauth2/revoke', { token: access }, auth('web'))).status).toBe(200);
      const answer = await userinfo(access);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      expect(answer.headers.get('cache-control')).toBe('no-store');
    });

    it('refuses a missing, malformed or forged token', async () => {
      const missing = await userinfo(undefined);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+"$/); // s3.1: no error code
      const { access } = await signedIn();
      const [header, payload] = access.split('.');
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'someone-else' })).toString('base64url')}.${access.split('.')[2]}`;
      expect((await userinfo(forged)).status).toBe(401);
      expect((await userinfo('not a token')).status).toBe(400);
      const refreshAsAccess = await userinfo((await signedIn()).refresh);
      expect(refreshAsAccess.status).toBe(401);
    });
  });

  describe('credentials kept out of logs and audit rows (RFC 6749 s10.3; CWE-532)', () => {
    it('revokes a refresh token and audits it without the token', async () => {
      const { refresh: token } = await signedIn();
      expect((await postForm(server, '/oauth2/revoke', { token, token_type_hint: 'refresh_token' }, auth('web'))).status).toBe(200);
      const events = await allAuditEvents(server);
      expect(events.some((e) => e.type === 'token.revoked' && e.details['kind'] === 'refresh_token' && e.subject?.type === 'refresh_family')).toBe(true);
    });

    it('records token.issued per token with grant type and jti, and no code, verifier or token anywhere', async () => {
      const events = await allAuditEvents(server);
      const issued = events.filter((e) => e.type === 'token.issued' && e.details['grant_type'] === 'authorization_code');
      expect(issued.some((e) => e.details['kind'] === 'access_token' && typeof e.details['jti'] === 'string')).toBe(true);
      expect(issued.some((e) => e.details['kind'] === 'refresh_token')).toBe(true);
      expect(issued.some((e) => e.details['kind'] === 'id_token')).toBe(true);
      expect(events.some((e) => e.type === 'token.issued' && e.details['grant_type'] === 'refresh_token')).toBe(true);
      expect(planted.length).toBeGreaterThan(20);
      expect(findSecrets(JSON.stringify(events), planted)).toEqual([]);
      expect(findSecrets(server.logs.text(), planted)).toEqual([]);
      for (const answer of answers.filter((a) => a.status >= 400)) expect(findSecrets(JSON.stringify(answer.body), planted)).toEqual([]);
    });
  });
});
