// Attack regressions for second factors (RFC 6238, OWASP ASVS 5.0 V6). Each test names the
// attack and its source.
import { createHash, randomBytes } from 'node:crypto';
import { refreshTokenGrant, tokenIntrospection } from 'openid-client';
import { DataSource } from 'typeorm';
import { describeEachDatabase } from '@authkit/testing';
import { ClientService } from '../src/app/clients/client.service';
import { SessionService } from '../src/app/sessions/session.service';
import { UserService } from '../src/app/users/user.service';
import { allAuditEvents } from './user-grants.fixture';
import { linkHref, MFA_CLIENT_ID, MFA_PEER_CLIENT_ID, startSecondFactorKit, type SecondFactorKit } from './second-factor.fixture';

const SYSTEM = { type: 'system', id: 'test' } as const;

describeEachDatabase('second-factor attacks', (database) => {
  let kit: SecondFactorKit;
  let serial = 0;
  beforeAll(async () => {
    kit = await startSecondFactorKit(database());
  });
  afterAll(() => kit?.close());

  async function enrolled(label: string) {
    const email = `${label}-${++serial}@example.com`;
    const { password } = await kit.createUser(email);
    return kit.enrol(email, password);
  }

  /** A browser that gave the right password and now faces the second-factor page. */
  async function challenged(user: { email: string; password: string }) {
    const agent = kit.agent();
    const result = await kit.authorize(agent, user.email, user.password);
    expect(agent.page.html).toContain('Authentication code');
    return { agent, result };
  }

  async function wrongCode(secret: string): Promise<string> {
    const near = await Promise.all([-1, 0, 1, 2].map((s) => kit.code(secret, s)));
    for (let n = 0; ; n++) {
      const candidate = String(n).padStart(6, '0');
      if (!near.includes(candidate)) return candidate;
    }
  }

  // Online guessing of the code, RFC 6238 s5.2 ("throttling") / OWASP ASVS 5.0 V6.3.1: the
  // attacker knows the password and tries codes, restarting the sign-in to get new challenges.
  it('brute force: five codes per user per window, across challenges; then 429, even for the right code', async () => {
    const user = await enrolled('guess'); // the confirmation was the first attempt of the window
    const wrong = await wrongCode(user.secret);
    for (let i = 0; i < 4; i++) {
      const { agent } = await challenged(user); // a new challenge each time: the limit is per user
      await agent.submit('Verify', { 'Authentication code': wrong });
      expect(agent.page.status).toBe(401);
    }
    const { agent } = await challenged(user);
    const recoveryPage = linkHref(agent, 'Use a recovery code');
    await agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) });
    expect(agent.page.status).toBe(429);
    expect(agent.cookie('auth_session')).toBeUndefined();
    // The recovery code path shares the count.
    await agent.open(recoveryPage);
    await agent.submit('Verify', { 'Recovery code': user.recoveryCodes[0]! });
    expect(agent.page.status).toBe(429);
    const events = await allAuditEvents(kit.server);
    expect(events.filter((e) => e.type === 'rate_limit.exceeded' && e.details['throttler'] === 'mfa:account').length).toBeGreaterThan(0);
  });

  // TOTP replay, RFC 6238 s5.2 ("MUST NOT accept the second attempt of the OTP"): a code seen
  // over a shoulder or phished is used again, also at the same moment (CWE-362).
  it('replay: an accepted code works once, also when two browsers submit it at the same time', async () => {
    const user = await enrolled('replay');
    const code = await kit.code(user.secret, 1);
    const first = await challenged(user);
    const second = await challenged(user);
    const outcomes = await Promise.all([
      first.agent.submit('Verify', { 'Authentication code': code }),
      second.agent.submit('Verify', { 'Authentication code': code }),
    ]);
    expect(outcomes.filter((callback) => callback !== undefined)).toHaveLength(1);
    const third = await challenged(user);
    await third.agent.submit('Verify', { 'Authentication code': code });
    expect(third.agent.page.status).toBe(401);
    // An older step's code (still inside the drift window) is refused after a newer one.
    const fourth = await challenged(user);
    await fourth.agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 0) });
    expect(fourth.agent.page.status).toBe(401);
  });

  // Recovery code reuse, OWASP ASVS 5.0 V6.5.1 (single use), with a race (CWE-362).
  it('recovery codes: each works once, also under concurrent use', async () => {
    const user = await enrolled('recovery-race');
    const code = user.recoveryCodes[3]!;
    const agents = await Promise.all([challenged(user), challenged(user)]);
    for (const { agent } of agents) await agent.open(linkHref(agent, 'Use a recovery code'));
    const outcomes = await Promise.all(agents.map(({ agent }) => agent.submit('Verify', { 'Recovery code': code })));
    expect(outcomes.filter((callback) => callback !== undefined)).toHaveLength(1);
  });

  // Second-factor bypass, OWASP ASVS 5.0 V6.3.3 / CWE-308: the password alone must not give a
  // session, a code, or a usable challenge to anyone but the browser that gave it.
  it('bypass: after the password alone nothing is signed in, and the challenge cookie cannot be forged, moved or kept', async () => {
    const user = await enrolled('bypass');
    const { agent } = await challenged(user);
    // prompt=none in the same browser: still not signed in.
    const silent = new URL(`${kit.server.url}/oauth2/authorize`);
    silent.search = new URLSearchParams({ response_type: 'code', client_id: MFA_CLIENT_ID, scope: 'openid', state: 's', prompt: 'none', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }).toString();
    const answer = await agent.open(silent.toString());
    expect(answer?.searchParams.get('error')).toBe('login_required');

    // The challenge moved to another browser (other CSRF cookie): the login page, not a sign-in.
    const thief = await challenged(await enrolled('bypass-thief'));
    thief.agent.setCookie('auth_mfa', agent.cookie('auth_mfa')!);
    const before = thief.agent.page.html;
    expect(before).toContain('Authentication code');
    await thief.agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) });
    expect(thief.agent.page.html).toContain('Password');
    expect(thief.agent.cookie('auth_session')).toBeUndefined();

    // Forged and altered challenges.
    for (const forged of [randomBytes(64).toString('base64url'), `${agent.cookie('auth_mfa')!.slice(0, -2)}AA`, 'a.b.c', '']) {
      const victim = await challenged(user);
      victim.agent.setCookie('auth_mfa', forged);
      await victim.agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) });
      expect(victim.agent.cookie('auth_session')).toBeUndefined();
      expect(victim.agent.page.html).toContain('Password');
    }

    // Kept past its five minutes.
    const late = await challenged(user);
    kit.advance(301_000);
    await late.agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) });
    expect(late.agent.page.html).toContain('Password');
    expect(late.agent.cookie('auth_session')).toBeUndefined();
  });

  // Login CSRF into the second step, OWASP ASVS 5.0 V3.5.1: the code form needs this browser's token.
  it('CSRF: a second-factor post without the form token is refused (403)', async () => {
    const user = await enrolled('csrf');
    const { agent } = await challenged(user);
    const response = await fetch(`${kit.server.url}/signin/second-factor`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `auth_mfa=${agent.cookie('auth_mfa')}; auth_csrf=${agent.cookie('auth_csrf')}` },
      body: new URLSearchParams({ code: await kit.code(user.secret, 1) }),
    });
    expect(response.status).toBe(403);
  });

  // Account disabled during the sign-in, OWASP ASVS 5.0 V7.4.2: the code no longer completes it.
  it('a user disabled between password and code is not signed in', async () => {
    const user = await enrolled('disabled');
    const { agent } = await challenged(user);
    await kit.server.app.get(UserService).setDisabled(user.email, true, SYSTEM);
    await agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) });
    expect(agent.cookie('auth_session')).toBeUndefined();
    expect(agent.page.html).toContain('Password');
  });

  // Token theft against the account API, RFC 9700 s4.10 (sender constraint) / CWE-639: an
  // access token alone, another client's token, a public client, a revoked or a machine
  // token cannot change anyone's second factor.
  it('account API: a stolen token needs its own client credentials; public clients and other tokens are refused', async () => {
    const { email, password } = await kit.createUser(`account-${++serial}@example.com`);
    const token = await kit.accessToken(email, password);
    const other = await kit.server.app.get(ClientService).create(
      { client_id: MFA_PEER_CLIENT_ID, grant_types: ['client_credentials'], scope: 'demo:read', token_endpoint_auth_method: 'client_secret_basic' },
      SYSTEM,
    );
    const otherBasic = `Basic ${Buffer.from(`${other.client_id}:${other.client_secret}`).toString('base64')}`;
    await kit.server.app.get(ClientService).create(
      { client_id: `public-${serial}`, grant_types: ['authorization_code'], redirect_uris: ['http://127.0.0.1/cb'], scope: 'openid', token_endpoint_auth_method: 'none' },
      SYSTEM,
    );

    expect(await kit.account('/account/mfa/totp', token, {}, '')).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(await kit.account('/account/mfa/totp', token, {}, `Bearer ${token}`)).toMatchObject({ status: 401 });
    expect(await kit.account('/account/mfa/totp', token, {}, otherBasic)).toMatchObject({ status: 401, body: { error: 'invalid_token' } }); // allowed client, not the token's
    expect(await kit.account('/account/mfa/totp', token, { client_id: `public-${serial}` }, '')).toMatchObject({ status: 401, body: { error: 'invalid_client' } });

    const machine = await fetch(`${kit.server.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: otherBasic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    const machineToken = ((await machine.json()) as { access_token: string }).access_token;
    expect(await kit.account('/account/mfa', machineToken, {}, otherBasic)).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    for (const bogus of ['', 'x', `${token}x`, token.split('.').slice(0, 2).join('.') + '.', '\u0000']) {
      expect((await kit.account('/account/mfa', bogus)).status).toBeGreaterThanOrEqual(400);
      expect((await kit.account('/account/mfa', bogus)).status).toBeLessThan(500);
    }

    const revoke = await fetch(`${kit.server.url}/oauth2/revoke`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${MFA_CLIENT_ID}:${kit.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    expect(revoke.status).toBe(200);
    expect(await kit.account('/account/mfa', token)).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
  });

  // Silent factor replacement, OWASP ASVS 5.0 V6.4.x: with a confirmed authenticator, a new
  // one cannot be started, and turning it off needs a current code, not a recovery code.
  it('turning off needs a current authenticator code; a recovery code or nothing does not do', async () => {
    const user = await enrolled('turn-off');
    const token = await kit.accessToken(user.email, user.password).catch(() => undefined);
    expect(token).toBeUndefined(); // the password alone no longer yields a token
    const { agent, result } = await challenged(user);
    const callback = await agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) });
    const access = (await kit.exchange({ ...result, callback })).access_token;
    expect(await kit.account('/account/mfa/totp/disable', access, { code: user.recoveryCodes[0]! })).toMatchObject({ status: 400, body: { error: 'invalid_code' } });
    expect(await kit.account('/account/mfa/totp/disable', access)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await kit.account('/account/mfa', access)).toMatchObject({ body: { totp: { enabled: true } } });
  });

  // Secrets at rest and in logs, OWASP ASVS 5.0 V6.5.2 / V16.2.5 (CWE-312, CWE-532): the TOTP
  // secret is stored encrypted, recovery codes only hashed, and neither, nor any code, is logged.
  it('no TOTP secret, code or recovery code in the database in clear, the logs or the audit rows', async () => {
    const user = await enrolled('secrets');
    const { agent } = await challenged(user);
    const code = await kit.code(user.secret, 1);
    await agent.submit('Verify', { 'Authentication code': code });
    const dataSource = kit.server.app.get(DataSource);
    const stored = JSON.stringify([await dataSource.query('SELECT * FROM user_totp'), await dataSource.query('SELECT * FROM recovery_codes')]);
    const audit = JSON.stringify(await allAuditEvents(kit.server));
    const logs = kit.server.logs.text();
    const plain = user.recoveryCodes.map((c) => c.replace(/-/g, ''));
    for (const secret of [user.secret, ...user.recoveryCodes, ...plain]) {
      expect(stored).not.toContain(secret);
      expect(audit).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    expect(logs).not.toContain(`"code":"${code}"`);
    expect(audit).not.toContain(code);
  });

  // Factor takeover by a third-party client, CWE-285: a client the user merely signed in to
  // (openid scope, consent) must not read their events or set up an authenticator of its
  // choosing (which would lock the user out).
  it('third-party clients cannot use the account API; only AUTH_ACCOUNT_CLIENTS can', async () => {
    const { email, password } = await kit.createUser(`third-party-${++serial}@example.com`);
    const view = await kit.server.app.get(ClientService).create(
      {
        client_id: `third-party-${serial}`,
        grant_types: ['authorization_code'],
        redirect_uris: ['https://third.party.test/cb'],
        scope: 'openid',
        token_endpoint_auth_method: 'client_secret_basic',
        skip_consent: true,
      },
      SYSTEM,
    );
    const basic = `Basic ${Buffer.from(`${view.client_id}:${view.client_secret}`).toString('base64')}`;
    const agent = kit.agent();
    await kit.authorize(agent, email, password); // signed in at auth-server
    const verifier = 'v'.repeat(43);
    const url = new URL(`${kit.server.url}/oauth2/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: view.client_id,
      redirect_uri: 'https://third.party.test/cb',
      scope: 'openid',
      state: 's',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const callback = await agent.open(url.toString());
    const exchanged = await fetch(`${kit.server.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: callback!.searchParams.get('code')!, code_verifier: verifier, redirect_uri: 'https://third.party.test/cb' }),
    });
    const token = ((await exchanged.json()) as { access_token: string }).access_token;
    for (const path of ['/account/mfa', '/account/mfa/totp', '/account/events']) {
      expect(await kit.account(path, token, {}, basic)).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
    }
  });

  // Factor change on a stale sign-in, OWASP ASVS 5.0 V7.5.1: setting up an authenticator
  // needs a recent sign-in, not a token refreshed from an old one.
  it('setting up needs a sign-in of the last 15 minutes: else 401 insufficient_user_authentication with max_age', async () => {
    const { email, password } = await kit.createUser(`stale-${++serial}@example.com`);
    const token = await kit.accessToken(email, password);
    kit.advance(901_000);
    expect(await kit.account('/account/mfa/totp', token)).toMatchObject({ status: 401, body: { error: 'insufficient_user_authentication', max_age: 900 } });
    expect(await kit.account('/account/mfa', token)).toMatchObject({ status: 200, body: { totp: { pending: false } } });
  });

  // A password-level foothold outliving the new factor (phished password, then the victim
  // turns on two-factor), OWASP ASVS 5.0 V6.4 / V7.4.3: other sessions end, other grants are
  // revoked, and a password-only session cannot sign in silently any more.
  it('setting up a factor ends password-only footholds: other sessions, other refresh grants; the caller keeps its own', async () => {
    const { email, password } = await kit.createUser(`foothold-${++serial}@example.com`);
    const attacker = kit.agent();
    const stolen = await kit.exchange(await kit.authorize(attacker, email, password));
    // Without offline_access: an access token with no refresh token behind it.
    const bare = await kit.exchange(await kit.authorize(kit.agent(), email, password, false, 'openid'));
    expect(bare.refresh_token).toBeUndefined();
    // A code obtained and held back, to be redeemed after the factor is on.
    const heldBack = await kit.authorize(attacker, email, password, true);
    expect(heldBack.callback?.searchParams.get('code')).toBeTruthy();
    const own = await kit.exchange(await kit.authorize(kit.agent(), email, password));
    const started = await kit.account('/account/mfa/totp', own.access_token);
    const secret = started.body['secret'] as string;
    expect((await kit.account('/account/mfa/totp/confirm', own.access_token, { code: await kit.code(secret) })).status).toBe(200);

    await expect(refreshTokenGrant(kit.config, stolen.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const kept = await refreshTokenGrant(kit.config, own.refresh_token!);
    expect(kept.access_token).toBeTruthy();
    await expect(kit.exchange(heldBack)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await tokenIntrospection(kit.config, stolen.access_token)).toMatchObject({ active: false });
    expect(await tokenIntrospection(kit.config, bare.access_token)).toMatchObject({ active: false });
    expect(await tokenIntrospection(kit.config, kept.access_token)).toMatchObject({ active: true });
    // The attacker's browser session is gone: a silent authorization asks to sign in again,
    // and then for the second factor.
    const again = await kit.authorize(attacker, email, password, true);
    expect(again.callback).toBeUndefined();
    expect(attacker.page.html).toContain('Authentication code');

    // A password-only session (one the revocation missed) is not enough either.
    const leftover = await kit.server.app.get(SessionService).start(own.claims()!.sub, ['pwd'], {});
    const browser = kit.agent();
    browser.setCookie('auth_session', leftover.cookieValue);
    const silent = await kit.authorize(browser, email, password, true);
    expect(silent.callback).toBeUndefined();
    expect(browser.page.html).toContain('Authentication code');
  });

  // Challenge replay after success and across a password change (session fixation of the
  // half-signed-in state): a challenge completes once and dies with the password.
  it('a challenge completes once, and not after the password changed', async () => {
    const user = await enrolled('challenge-once');
    const { agent } = await challenged(user);
    const cookie = agent.cookie('auth_mfa')!;
    const page = agent.page.html;
    expect(await agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) })).toBeDefined();
    agent.setCookie('auth_mfa', cookie);
    agent.page = { ...agent.page, html: page };
    kit.advance(30_000);
    expect(await agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) })).toBeUndefined();
    expect(agent.page.html).toContain('Password');

    const next = await challenged(user);
    await kit.server.app.get(UserService).setPassword(user.email, `${user.password}-new`, SYSTEM);
    kit.advance(30_000);
    await next.agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) });
    expect(next.agent.cookie('auth_session')).toBeUndefined();
    expect(next.agent.page.html).toContain('Password');
  });

  // Slow online guessing within the rate limit (5 per 5 minutes is still about 1,440 a
  // day), NIST SP 800-63B s5.2.2: after 100 consecutive wrong codes the authenticator is
  // locked; a recovery code (not guessable) unlocks it.
  it('lockout: 100 consecutive wrong codes lock the authenticator, even for the right code; a recovery code unlocks it', async () => {
    const user = await enrolled('lockout');
    const dataSource = kit.server.app.get(DataSource);
    await dataSource.query("UPDATE user_totp SET consecutive_failures = 99 WHERE user_id = (SELECT id FROM users WHERE email = $1)", [user.email]);
    const first = await challenged(user);
    await first.agent.submit('Verify', { 'Authentication code': await wrongCode(user.secret) });
    expect(first.agent.page.status).toBe(401);
    expect(first.agent.page.html).toContain('Too many wrong codes');
    await first.agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) });
    expect(first.agent.page.html).toContain('Too many wrong codes');
    expect(first.agent.cookie('auth_session')).toBeUndefined();

    await first.agent.open(linkHref(first.agent, 'Use a recovery code'));
    expect(await first.agent.submit('Verify', { 'Recovery code': user.recoveryCodes[0]! })).toBeDefined();
    kit.advance(30_000);
    const later = await challenged(user);
    expect(await later.agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) })).toBeDefined();
    const events = await allAuditEvents(kit.server);
    expect(events.some((e) => e.type === 'mfa.verify.failed' && e.details['locked'] === true)).toBe(true);
  });

  // A code minted before a password change, redeemed after it (OWASP ASVS 5.0 V7.4.3): the
  // new password must end what the old one opened, codes included.
  it('a code from a sign-in before a password change is refused at the exchange', async () => {
    const { email, password } = await kit.createUser(`code-before-password-${++serial}@example.com`);
    const heldBack = await kit.authorize(kit.agent(), email, password);
    await new Promise((r) => setTimeout(r, 1_100)); // auth_time has whole seconds
    await kit.server.app.get(UserService).setPassword(email, `${password}-new`, SYSTEM);
    await expect(kit.exchange(heldBack)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  // Partial failure at confirmation (CWE-636, failing open): if the user's other grants cannot
  // be ended, the factor must not be switched on with them still alive; both commit or neither.
  it('the factor and the end of other grants commit together: a failing revocation leaves the factor pending', async () => {
    const { email, password } = await kit.createUser(`atomic-${++serial}@example.com`);
    const other = await kit.exchange(await kit.authorize(kit.agent(), email, password));
    const own = await kit.exchange(await kit.authorize(kit.agent(), email, password));
    const userId = own.claims()!.sub;
    const started = await kit.account('/account/mfa/totp', own.access_token);
    const secret = started.body['secret'] as string;
    const dataSource = kit.server.app.get(DataSource);
    const fault = `refuse_refresh_update_${serial}`;
    await dataSource.query(
      `CREATE FUNCTION ${fault}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.user_id = '${userId}' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$`,
    );
    await dataSource.query(`CREATE TRIGGER ${fault} BEFORE UPDATE ON refresh_tokens FOR EACH ROW EXECUTE FUNCTION ${fault}()`);
    try {
      const answer = await kit.account('/account/mfa/totp/confirm', own.access_token, { code: await kit.code(secret) });
      expect(answer.status).toBeGreaterThanOrEqual(500);
      expect(JSON.stringify(answer.body)).not.toContain('injected');
    } finally {
      await dataSource.query(`DROP TRIGGER ${fault} ON refresh_tokens`);
      await dataSource.query(`DROP FUNCTION ${fault}()`);
    }
    expect(await kit.account('/account/mfa', own.access_token)).toMatchObject({ body: { totp: { enabled: false, pending: true }, recovery_codes_remaining: 0 } });
    expect((await refreshTokenGrant(kit.config, other.refresh_token!)).access_token).toBeTruthy();
    // Once the fault is gone, confirmation works and ends the other grant.
    kit.advance(30_000);
    expect((await kit.account('/account/mfa/totp/confirm', own.access_token, { code: await kit.code(secret) })).status).toBe(200);
  });

  // Steps out of order, CWE-841 (improper enforcement of a behavioural workflow): confirming
  // what was never started, turning off or renewing codes of a factor that is not on; each a
  // stable 409 that changes nothing.
  it('out-of-order account calls: 409 enrollment_not_started / mfa_not_enabled, nothing changes', async () => {
    const { email, password } = await kit.createUser(`out-of-order-${++serial}@example.com`);
    const token = await kit.accessToken(email, password);
    expect(await kit.account('/account/mfa/totp/confirm', token, { code: '123456' })).toMatchObject({ status: 409, body: { error: 'enrollment_not_started' } });
    expect(await kit.account('/account/mfa/totp/disable', token, { code: '123456' })).toMatchObject({ status: 409, body: { error: 'mfa_not_enabled' } });
    expect(await kit.account('/account/mfa/recovery-codes', token, { code: '123456' })).toMatchObject({ status: 409, body: { error: 'mfa_not_enabled' } });
    expect(await kit.account('/account/mfa', token)).toMatchObject({ status: 200, body: { totp: { enabled: false, pending: false }, recovery_codes_remaining: 0 } });
  });
});
