import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describeEachDatabase } from '@authkit/testing';
import { ClientService } from '../src/app/clients/client.service';
import { allAuditEvents } from './user-grants.fixture';
import { linkHref, startSecondFactorKit, type SecondFactorKit } from './second-factor.fixture';

// Second factors end to end: a user sets up an authenticator app through the account API
// (with confirmation and recovery codes), then signs in with password and code, or with a
// recovery code, and the tokens say so (amr ["pwd","otp"], RFC 8176); turning the factor off
// needs a current code. The browser variant of the same story is apps/e2e/src/mfa.e2e-spec.ts.

describeEachDatabase('second factors', (database) => {
  let kit: SecondFactorKit;
  beforeAll(async () => {
    kit = await startSecondFactorKit(database());
  });
  afterAll(() => kit?.close());

  it('sets up an authenticator app: status, start, a wrong code, confirmation with recovery codes', async () => {
    const { email, password } = await kit.createUser('setup@example.com');
    const token = await kit.accessToken(email, password);

    expect(await kit.account('/account/mfa', token)).toMatchObject({ status: 200, body: { totp: { enabled: false, pending: false }, recovery_codes_remaining: 0 } });
    const started = await kit.account('/account/mfa/totp', token);
    expect(started.status).toBe(200);
    expect(started.headers.get('cache-control')).toBe('no-store');
    const secret = started.body['secret'] as string;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(started.body['otpauth_uri'] as string);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(decodeURIComponent(uri.pathname)).toContain(email);
    expect(await kit.account('/account/mfa', token)).toMatchObject({ body: { totp: { enabled: false, pending: true } } });

    const wrong = (Number(await kit.code(secret)) + 1) % 1_000_000;
    expect(await kit.account('/account/mfa/totp/confirm', token, { code: String(wrong).padStart(6, '0') })).toMatchObject({ status: 400, body: { error: 'invalid_code' } });
    const confirmed = await kit.account('/account/mfa/totp/confirm', token, { code: await kit.code(secret) });
    expect(confirmed.status).toBe(200);
    const codes = confirmed.body['recovery_codes'] as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(await kit.account('/account/mfa', token)).toMatchObject({ body: { totp: { enabled: true, pending: false }, recovery_codes_remaining: 10 } });
    // Turn it off first to set up again (the one active authenticator cannot be replaced silently).
    expect(await kit.account('/account/mfa/totp', token)).toMatchObject({ status: 409, body: { error: 'mfa_already_enabled' } });
    expect(await kit.account('/account/mfa/totp/confirm', token, { code: await kit.code(secret, 1) })).toMatchObject({ status: 409, body: { error: 'mfa_already_enabled' } });
  });

  it('signs in with password and authenticator code: no session before the code, amr ["pwd","otp"] after', async () => {
    const user = await kit.enrol('two-step@example.com', (await kit.createUser('two-step@example.com')).password);
    const agent = kit.agent();
    const result = await kit.authorize(agent, user.email, user.password);
    expect(result.callback).toBeUndefined();
    expect(agent.page.status).toBe(200);
    expect(agent.page.html).toContain('<label for="code">Authentication code</label>');
    expect(agent.page.html).toContain('>Verify</button>');
    expect(agent.page.html).toContain('>Use a recovery code</a>');
    expect(agent.cookie('auth_session')).toBeUndefined();
    expect(agent.cookie('auth_mfa')).toBeDefined();

    // The confirmation used the current step; the next step's code is fresh (RFC 6238 s5.2 window).
    const callback = await agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) });
    expect(callback?.searchParams.get('code')).toBeTruthy();
    expect(agent.cookie('auth_session')).toBeDefined();
    expect(agent.cookie('auth_mfa')).toBeUndefined();
    const tokens = await kit.exchange({ ...result, callback });
    expect(tokens.claims()).toMatchObject({ amr: ['pwd', 'otp'] });
    const keys = createRemoteJWKSet(new URL(`${kit.server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(tokens.access_token, keys, { issuer: kit.server.config.issuer, typ: 'at+jwt' });
    expect(payload['amr']).toEqual(['pwd', 'otp']);

    const types = (await allAuditEvents(kit.server)).filter((e) => e.actor?.id === payload.sub).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['mfa.enrollment.started', 'mfa.enrollment.confirmed', 'auth.login.second_factor_required', 'mfa.verify.succeeded', 'auth.login.succeeded']));
  });

  it('a wrong code shows the page again with one message (401); the right one then works', async () => {
    const { password } = await kit.createUser('wrong-code@example.com');
    const user = await kit.enrol('wrong-code@example.com', password);
    const agent = kit.agent();
    const result = await kit.authorize(agent, user.email, user.password);
    await agent.submit('Verify', { 'Authentication code': '000000' === (await kit.code(user.secret, 1)) ? '111111' : '000000' });
    expect(agent.page.status).toBe(401);
    expect(agent.page.html).toContain('role="alert"');
    expect(agent.cookie('auth_session')).toBeUndefined();
    const callback = await agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) });
    expect((await kit.exchange({ ...result, callback })).claims()).toMatchObject({ amr: ['pwd', 'otp'] });
  });

  it('signs in with a recovery code, once; the account API counts what is left', async () => {
    const { password } = await kit.createUser('recovery@example.com');
    const user = await kit.enrol('recovery@example.com', password);
    const [first] = user.recoveryCodes;
    const agent = kit.agent();
    const result = await kit.authorize(agent, user.email, user.password);
    await agent.open(linkHref(agent, 'Use a recovery code'));
    expect(agent.page.status).toBe(200);
    expect(agent.page.html).toContain('<label for="recovery_code">Recovery code</label>');
    // Typed loosely: lower case, no dashes.
    const callback = await agent.submit('Verify', { 'Recovery code': first!.replace(/-/g, '').toLowerCase() });
    const tokens = await kit.exchange({ ...result, callback });
    expect(tokens.claims()).toMatchObject({ amr: ['pwd', 'otp'] });
    expect(await kit.account('/account/mfa', tokens.access_token)).toMatchObject({ body: { totp: { enabled: true }, recovery_codes_remaining: 9 } });

    const again = kit.agent();
    await kit.authorize(again, user.email, user.password);
    await again.open(linkHref(again, 'Use a recovery code'));
    await again.submit('Verify', { 'Recovery code': first! });
    expect(again.page.status).toBe(401);
    expect(again.cookie('auth_session')).toBeUndefined();
    // The way back to the authenticator code works from the recovery page.
    await again.open(linkHref(again, 'Use your authenticator app instead'));
    expect(again.page.html).toContain('Authentication code');
  });

  it('turns the factor off only with a current code; sign-in is then password only', async () => {
    const { password } = await kit.createUser('turn-off@example.com');
    const user = await kit.enrol('turn-off@example.com', password);
    const agent = kit.agent();
    const result = await kit.authorize(agent, user.email, user.password);
    const callback = await agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) });
    const token = (await kit.exchange({ ...result, callback })).access_token;

    expect(await kit.account('/account/mfa/totp/disable', token, { code: await kit.code(user.secret, 1) })).toMatchObject({ status: 400, body: { error: 'invalid_code' } }); // used already
    kit.advance(30_000);
    expect(await kit.account('/account/mfa/totp/disable', token, { code: await kit.code(user.secret, 1) })).toMatchObject({
      status: 200,
      body: { totp: { enabled: false, pending: false }, recovery_codes_remaining: 0 },
    });
    expect(await kit.account('/account/mfa/totp/disable', token, { code: await kit.code(user.secret, 1) })).toMatchObject({ status: 409, body: { error: 'mfa_not_enabled' } });
    const plain = await kit.authorize(kit.agent(), user.email, user.password);
    expect((await kit.exchange(plain)).claims()).toMatchObject({ amr: ['pwd'] });
  });

  it('replaces the recovery codes for a current code; the old ones stop working', async () => {
    const { password } = await kit.createUser('regenerate@example.com');
    const user = await kit.enrol('regenerate@example.com', password);
    const agent = kit.agent();
    const result = await kit.authorize(agent, user.email, user.password);
    const callback = await agent.submit('Verify', { 'Authentication code': await kit.code(user.secret, 1) });
    const token = (await kit.exchange({ ...result, callback })).access_token;
    kit.advance(30_000); // the sign-in used the next step's code; five attempts per user per window in all
    const answer = await kit.account('/account/mfa/recovery-codes', token, { code: await kit.code(user.secret, 1) });
    expect(answer.status).toBe(200);
    const fresh = answer.body['recovery_codes'] as string[];
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((c) => user.recoveryCodes.includes(c))).toEqual([]);
    expect(await kit.account('/account/mfa', token)).toMatchObject({ body: { recovery_codes_remaining: 10 } });

    const old = kit.agent();
    await kit.authorize(old, user.email, user.password);
    await old.open(linkHref(old, 'Use a recovery code'));
    await old.submit('Verify', { 'Recovery code': user.recoveryCodes[0]! });
    expect(old.page.status).toBe(401);
    expect(await old.submit('Verify', { 'Recovery code': fresh[0]! })).toBeDefined();
  });

  it('shows the user their own recent security events, newest first, nothing of others', async () => {
    const { email, password } = await kit.createUser('events@example.com');
    const other = await kit.createUser('events-other@example.com');
    await kit.accessToken(other.email, other.password);
    const token = await kit.accessToken(email, password);
    await kit.account('/account/mfa/totp', token);
    await new Promise((r) => setTimeout(r, 50)); // the audit buffer flushes every 5 ms in tests
    const answer = await kit.account('/account/events', token, { limit: '5' });
    expect(answer.status).toBe(200);
    const events = answer.body['events'] as { id: string; time: string; type: string; outcome: string }[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThanOrEqual(5);
    expect(events[0]).toMatchObject({ type: 'mfa.enrollment.started', outcome: 'success' });
    expect(Object.keys(events[0]!).sort()).toEqual(['id', 'outcome', 'time', 'type']);
    const times = events.map((e) => Date.parse(e.time));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const ids = new Set(events.map((e) => e.id));
    const own = (await allAuditEvents(kit.server)).filter((e) => ids.has(e.id));
    const sub = own.find((e) => e.type === 'mfa.enrollment.started')?.actor?.id;
    for (const event of own) expect([event.actor?.id, event.subject?.id]).toContain(sub);
    for (const limit of ['0', '101', '-1', '1.5', 'x']) {
      expect(await kit.account('/account/events', token, { limit })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    }
  });

  it("lets an operator see and remove a user's second factor with authctl (lost device and codes)", async () => {
    const { password } = await kit.createUser('lost-device@example.com');
    const user = await kit.enrol('lost-device@example.com', password);
    const ops = await kit.server.app.get(ClientService).create({ client_id: 'ops-mfa', grant_types: ['client_credentials'], scope: 'admin' }, { type: 'system', id: 'test' });
    const authctl = (...args: string[]) =>
      new Promise<{ code: number; stdout: string }>((done) => {
        execFile(
          process.execPath,
          ['scripts/authctl.mjs', ...args],
          {
            cwd: resolve(__dirname, '../../..'),
            timeout: 20_000,
            env: { PATH: process.env['PATH'], AUTHCTL_URL: kit.server.url, AUTHCTL_CLIENT_ID: ops.client_id, AUTHCTL_CLIENT_SECRET: ops.client_secret },
          },
          (error, stdout) => done({ code: error ? Number(error.code ?? -1) : 0, stdout }),
        );
      });
    const shown = await authctl('user', 'mfa', user.email, '--json');
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual({ totp: { enabled: true, pending: false }, recovery_codes_remaining: 10 });
    const reset = await authctl('user', 'reset-mfa', user.email, '--json');
    expect(JSON.parse(reset.stdout)).toEqual({ removed: true, totp: { enabled: false, pending: false }, recovery_codes_remaining: 0 });
    expect(JSON.parse((await authctl('user', 'reset-mfa', user.email, '--json')).stdout)).toMatchObject({ removed: false });
    const plain = await kit.authorize(kit.agent(), user.email, user.password);
    expect((await kit.exchange(plain)).claims()).toMatchObject({ amr: ['pwd'] });
    const removal = (await allAuditEvents(kit.server)).find((e) => e.type === 'mfa.disabled' && e.details['by'] === 'admin');
    expect(removal?.actor).toMatchObject({ type: 'client', id: 'ops-mfa' });
  });
});
