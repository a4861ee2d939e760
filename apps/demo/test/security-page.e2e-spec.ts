import { createHash } from 'node:crypto';
import { findSecrets } from '@authkit/testing';
import { SessionStore } from '../src/app/session/session-store.interface';
import { TestBrowser } from './support/browser';
import { startDemoHarness, type DemoHarness } from './support/demo-harness';
import { csrfOf, eventRowsOf, recoveryCodesOf, secretOf, SecurityPageDriver, wrongCode } from './support/security-page';

// The demo's /security page (CONTRACT, "Pages"): two-factor authentication and security
// events through auth-server's account API. oidc-provider plays auth-server's OAuth side;
// the account API is an HTTP stand-in (test/support/fake-account-api.ts) that the issuer
// serves at <issuer>/account/*, checking the demo's client authentication and the user's
// access token at the issuer.
describe('demo /security page', () => {
  let h: DemoHarness;

  beforeAll(async () => {
    h = await startDemoHarness({ redisUrl: process.env['REDIS_URL'], accessTokenTtl: 300 });
  }, 60_000);
  afterAll(() => h?.close());
  beforeEach(() => h.account.reset());
  afterEach(() => {
    h.clock.offsetMs = 0;
  });

  const signedIn = async () => new SecurityPageDriver(h, await h.signIn());
  /** The next 30-second step's code: the current one may have been used already (RFC 6238 s5.2). */
  const nextCode = (secret: string) => h.account.totp.generate(secret, Date.now() + 30_000);

  it('sends a browser without a session to / (where Sign in is)', async () => {
    const response = await new TestBrowser().request(`${h.demoUrl}/security`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    expect(h.account.calls).toEqual([]);
  });

  it('is linked from the home page when signed in, and only then', async () => {
    const page = await signedIn();
    expect((await page.get('/')).html).toContain('<a href="/security">Security</a>');
    expect(await (await fetch(`${h.demoUrl}/`)).text()).not.toContain('href="/security"');
  });

  it('shows Set up authenticator app and Recent security events, as a strict page without script', async () => {
    const page = await signedIn();
    const { response, html } = await page.get('/security');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
    expect(response.headers.get('content-security-policy')).not.toMatch(/script-src/);
    expect(html).not.toMatch(/<script/i);
    expect(html).toMatch(/<form method="post" action="\/security\/totp\/setup">\s*<input type="hidden" name="csrf" value="[^"]+">\s*<button type="submit">Set up authenticator app<\/button>/);
    expect(html).not.toContain('Turn off two-factor authentication');
    expect(html).toContain('<table aria-label="Recent security events">');
    expect(html).toMatch(/<th scope="col">Time<\/th><th scope="col">Event<\/th><th scope="col">Outcome<\/th>/);
    // The demo authenticated as at the token endpoint (client_secret_post) and sent the user's token.
    expect(h.account.calls.map((c) => c.path).sort()).toEqual(['/account/events', '/account/mfa']);
    expect(h.account.calls.every((c) => c.clientAuth === 'client_secret_post' && c.status === 200)).toBe(true);
    expect(h.account.calls.find((c) => c.path === '/account/events')!.fields).toEqual({ client_id: 'demo-web', limit: '20' });
  });

  it('sets up the authenticator: QR code, Secret key, Authentication code, Confirm; then the recovery codes once', async () => {
    const page = await signedIn();
    const setup = await page.startSetup();
    expect(setup.response.status).toBe(200);
    expect(setup.response.headers.get('cache-control')).toBe('no-store');
    expect(setup.html).toMatch(/<svg role="img" aria-label="QR code for your authenticator app"[^>]*>[\s\S]*<path/);
    expect(setup.html).toContain('<p id="secret-label">Secret key</p>');
    expect(setup.secret).toBe(h.account.account('alice').secret);
    expect(setup.html).toMatch(/<label for="code">Authentication code<\/label>/);
    expect(setup.html).toMatch(/<input id="code" name="code"/);
    expect(setup.html).toContain('<button type="submit">Confirm</button>');
    expect(setup.html).toMatch(/<form method="post" action="\/security\/totp\/confirm">\s*<input type="hidden" name="csrf"/);
    // A reload of the setup page shows the same enrollment (kept server-side), not a new one.
    expect(secretOf((await page.get('/security/totp/setup')).html)).toBe(setup.secret);
    expect(h.account.calls.filter((c) => c.path === '/account/mfa/totp')).toHaveLength(1);

    const code = await h.account.totp.generate(setup.secret);
    const confirmed = await page.post('/security/totp/confirm', { csrf: csrfOf(setup.html), code: `${code.slice(0, 3)} ${code.slice(3)}` });
    expect(confirmed.response.status).toBe(200);
    expect(confirmed.response.headers.get('cache-control')).toBe('no-store');
    const codes = recoveryCodesOf(confirmed.html);
    expect(codes).toHaveLength(10);
    expect(codes).toEqual(h.account.account('alice').recoveryCodes);
    expect(h.account.calls.find((c) => c.path === '/account/mfa/totp/confirm')!.fields).toMatchObject({ code });
    // CONTRACT: after the codes, the page offers to turn two-factor off.
    expect(confirmed.html).toContain('<button type="submit">Turn off two-factor authentication</button>');

    // Shown once: /security now offers to turn two-factor off, and no page shows the codes again.
    const after = await page.get('/security');
    expect(recoveryCodesOf(after.html)).toBeUndefined();
    for (const recoveryCode of codes!) expect(after.html).not.toContain(recoveryCode);
    expect(after.html).toContain('<button type="submit">Turn off two-factor authentication</button>');
    expect(after.html).not.toContain('Set up authenticator app');
    expect(after.html).toContain('Recovery codes left: 10.');
    // The finished enrollment is gone from the session: its page leads back to /security.
    const stale = await page.browser.request(`${h.demoUrl}/security/totp/setup`);
    expect(stale.status).toBe(303);
    expect(stale.headers.get('location')).toBe('/security');
    expect(findSecrets(h.logs.text(), [setup.secret, code, ...codes!])).toEqual([]);
  });

  it('keeps the setup page with the same secret after a wrong code: 400 and one generic message', async () => {
    const page = await signedIn();
    const setup = await page.startSetup();
    const right = await h.account.totp.generate(setup.secret);
    for (const code of [wrongCode(right), 'abcdef', '12345', '']) {
      const refused = await page.post('/security/totp/confirm', { csrf: csrfOf(setup.html), code });
      expect(refused.response.status).toBe(400);
      expect(refused.html).toContain('<p role="alert"><strong>That code did not work. Enter the current code from your authenticator app.</strong></p>');
      expect(secretOf(refused.html)).toBe(setup.secret);
      expect(refused.html).toContain('<button type="submit">Confirm</button>');
      expect(recoveryCodesOf(refused.html)).toBeUndefined();
    }
    // Only the well-formed code reached auth-server; input that cannot be a code did not.
    expect(h.account.calls.filter((c) => c.path === '/account/mfa/totp/confirm')).toHaveLength(1);
    expect(h.account.account('alice').enabled).toBe(false);
    const confirmed = await page.post('/security/totp/confirm', { csrf: csrfOf(setup.html), code: right });
    expect(recoveryCodesOf(confirmed.html)).toHaveLength(10);
  });

  it('turns two-factor off after asking for a current code; a wrong code is a 400 and leaves it on', async () => {
    const page = await signedIn();
    const { secret } = await page.enable();
    const overview = await page.get('/security');
    const asked = await page.post('/security/totp/turn-off', { csrf: csrfOf(overview.html) });
    expect(asked.response.status).toBe(200);
    expect(asked.html).toMatch(/<label for="code">Authentication code<\/label>/);
    expect(asked.html).toMatch(/<form method="post" action="\/security\/totp\/disable">[\s\S]*<button type="submit">Turn off<\/button>/);
    expect(h.account.account('alice').enabled).toBe(true);

    const code = await nextCode(secret);
    const refused = await page.post('/security/totp/disable', { csrf: csrfOf(asked.html), code: wrongCode(code) });
    expect(refused.response.status).toBe(400);
    expect(refused.html).toContain('That code did not work.');
    expect(refused.html).toContain('<button type="submit">Turn off</button>');
    expect(h.account.account('alice').enabled).toBe(true);

    const done = await page.post('/security/totp/disable', { csrf: csrfOf(refused.html), code });
    expect(done.response.status).toBe(303);
    expect(done.response.headers.get('location')).toBe('/security');
    expect(h.account.account('alice').enabled).toBe(false);
    expect((await page.get('/security')).html).toContain('Set up authenticator app');
  });

  it('gets new recovery codes after asking for a current code: shown once, the old ones refused afterwards', async () => {
    const page = await signedIn();
    const enabled = await page.enable();
    const old = recoveryCodesOf(enabled.html)!;
    const overview = await page.get('/security');
    expect(overview.html).toMatch(/<form method="post" action="\/security\/recovery-codes\/new">\s*<input type="hidden" name="csrf" value="[^"]+">\s*<button type="submit">Get new recovery codes<\/button>/);
    const asked = await page.post('/security/recovery-codes/new', { csrf: csrfOf(overview.html) });
    expect(asked.response.status).toBe(200);
    expect(asked.response.headers.get('cache-control')).toBe('no-store');
    expect(asked.html).toMatch(/<label for="code">Authentication code<\/label>/);
    expect(asked.html).toMatch(/<form method="post" action="\/security\/recovery-codes\/regenerate">\s*<input type="hidden" name="csrf"[\s\S]*<button type="submit">Get new codes<\/button>/);
    // Asking changes nothing yet.
    expect(h.account.calls.filter((c) => c.path === '/account/mfa/recovery-codes')).toEqual([]);
    expect(h.account.account('alice').recoveryCodes).toEqual(old);

    const code = await nextCode(enabled.secret);
    const done = await page.post('/security/recovery-codes/regenerate', { csrf: csrfOf(asked.html), code: `${code.slice(0, 3)} ${code.slice(3)}` });
    expect(done.response.status).toBe(200);
    expect(done.response.headers.get('cache-control')).toBe('no-store');
    const codes = recoveryCodesOf(done.html)!;
    expect(codes).toHaveLength(10);
    expect(codes).toEqual(h.account.account('alice').recoveryCodes);
    expect(codes.filter((c) => old.includes(c))).toEqual([]);
    expect(done.html).toContain('Your old recovery codes no longer work.');
    // The same page shape as after the confirmation, with no second Turn off or Confirm.
    expect(done.html).toContain('<button type="submit">Turn off two-factor authentication</button>');
    expect(done.html).not.toMatch(/<button type="submit">(Turn off|Confirm)<\/button>/);
    expect(h.account.calls.filter((c) => c.path === '/account/mfa/recovery-codes')).toEqual([
      expect.objectContaining({ clientAuth: 'client_secret_post', status: 200, fields: { client_id: 'demo-web', code } }),
    ]);

    // Shown once: neither /security nor a replayed form shows them again (the code's step is used up).
    const after = await page.get('/security');
    expect(recoveryCodesOf(after.html)).toBeUndefined();
    expect(after.html).toContain('Recovery codes left: 10.');
    const replay = await page.post('/security/recovery-codes/regenerate', { csrf: csrfOf(asked.html), code });
    expect(replay.response.status).toBe(400);
    expect(recoveryCodesOf(replay.html)).toBeUndefined();
    for (const html of [after.html, replay.html]) for (const recoveryCode of codes) expect(html).not.toContain(recoveryCode);
    expect(h.account.account('alice').recoveryCodes).toEqual(codes);

    // The old codes no longer sign in; the new ones do, once.
    expect(old.map((c) => h.account.useRecoveryCode('alice', c))).toEqual(old.map(() => false));
    expect(h.account.useRecoveryCode('alice', codes[0]!.toLowerCase())).toBe(true);
    expect(h.account.useRecoveryCode('alice', codes[0]!)).toBe(false);
    expect((await page.get('/security')).html).toContain('Recovery codes left: 9.');
    expect(findSecrets(h.logs.text(), [enabled.secret, code, ...old, ...codes])).toEqual([]);
  });

  it('keeps the Get new codes form after a wrong code: 400, one generic message, the codes unchanged', async () => {
    const page = await signedIn();
    const enabled = await page.enable();
    const old = recoveryCodesOf(enabled.html)!;
    const asked = await page.post('/security/recovery-codes/new', { csrf: await page.csrf() });
    const right = await nextCode(enabled.secret);
    for (const code of [wrongCode(right), 'abcdef', '12345', '']) {
      const refused = await page.post('/security/recovery-codes/regenerate', { csrf: csrfOf(asked.html), code });
      expect(refused.response.status).toBe(400);
      expect(refused.response.headers.get('cache-control')).toBe('no-store');
      expect(refused.html.match(/role="alert"/g)).toHaveLength(1);
      expect(refused.html).toContain('<p role="alert"><strong>That code did not work. Enter the current code from your authenticator app.</strong></p>');
      expect(refused.html).toMatch(/<label for="code">Authentication code<\/label>/);
      expect(refused.html).toContain('<button type="submit">Get new codes</button>');
      expect(refused.html).not.toContain('fake-description');
      expect(recoveryCodesOf(refused.html)).toBeUndefined();
    }
    // Only the well-formed code reached auth-server; input that cannot be a code did not.
    expect(h.account.calls.filter((c) => c.path === '/account/mfa/recovery-codes')).toHaveLength(1);
    expect(h.account.account('alice').recoveryCodes).toEqual(old);
    expect(h.account.useRecoveryCode('alice', old[0]!)).toBe(true);
    const done = await page.post('/security/recovery-codes/regenerate', { csrf: csrfOf(asked.html), code: right });
    expect(recoveryCodesOf(done.html)).toHaveLength(10);
  });

  it('passes auth-server\'s 429 on Get new codes through with its Retry-After, and changes nothing', async () => {
    const page = await signedIn();
    const enabled = await page.enable();
    const old = recoveryCodesOf(enabled.html)!;
    const asked = await page.post('/security/recovery-codes/new', { csrf: await page.csrf() });
    h.account.override = { status: 429, body: { error: 'too_many_requests', error_description: 'fake-description' }, headers: { 'retry-after': '42' } };
    const refused = await page.post('/security/recovery-codes/regenerate', { csrf: csrfOf(asked.html), code: await nextCode(enabled.secret) });
    h.account.override = undefined;
    expect(refused.response.status).toBe(429);
    expect(refused.response.headers.get('retry-after')).toBe('42');
    expect(refused.html).toContain('<h1>Too many attempts</h1>');
    expect(refused.html).not.toContain('fake-description');
    expect(recoveryCodesOf(refused.html)).toBeUndefined();
    expect(h.account.calls.filter((c) => c.path === '/account/mfa/recovery-codes').map((c) => c.status)).toEqual([429]);
    expect(h.account.account('alice').recoveryCodes).toEqual(old);
  });

  it('answers 409 when two-factor was turned off before Get new codes', async () => {
    const page = await signedIn();
    const enabled = await page.enable();
    const asked = await page.post('/security/recovery-codes/new', { csrf: await page.csrf() });
    h.account.account('alice').enabled = false;
    const stale = await page.post('/security/recovery-codes/regenerate', { csrf: csrfOf(asked.html), code: await nextCode(enabled.secret) });
    expect(stale.response.status).toBe(409);
    expect(stale.html).toContain('<h1>Already changed</h1>');
    expect(recoveryCodesOf(stale.html)).toBeUndefined();
  });

  it('shows the recovery codes left, and suggests new ones when 3 or fewer are left', async () => {
    const page = await signedIn();
    const off = await page.get('/security');
    expect(off.html).not.toContain('Get new recovery codes');
    expect(off.html).not.toContain('running out of recovery codes');
    const codes = recoveryCodesOf((await page.enable()).html)!;
    for (const code of codes.slice(0, 6)) expect(h.account.useRecoveryCode('alice', code)).toBe(true);
    const four = await page.get('/security');
    expect(four.html).toContain('Recovery codes left: 4.');
    expect(four.html).not.toContain('running out of recovery codes');
    expect(h.account.useRecoveryCode('alice', codes[6]!)).toBe(true);
    const three = await page.get('/security');
    expect(three.html).toContain('Recovery codes left: 3.');
    expect(three.html).toContain('<p><strong>You are running out of recovery codes: get new ones so that you can still sign in if you lose your authenticator app.</strong></p>');
    expect(three.html).toContain('<button type="submit">Get new recovery codes</button>');
    expect(three.html).toContain('<button type="submit">Turn off two-factor authentication</button>');
    for (const code of codes.slice(7)) h.account.useRecoveryCode('alice', code);
    const none = await page.get('/security');
    expect(none.html).toContain('Recovery codes left: 0.');
    expect(none.html).toContain('running out of recovery codes');
  });

  it('lists the user\'s security events newest first, with time, event type and outcome', async () => {
    const page = await signedIn();
    await page.enable();
    const rows = eventRowsOf((await page.get('/security')).html);
    expect(rows.map((cells) => cells.slice(1))).toEqual([
      ['mfa.totp.enabled', 'success'],
      ['mfa.totp.enrollment_started', 'success'],
    ]);
    expect(rows[0]![0]).toMatch(/^<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/time>$/);
  });

  it('shows an empty table when there are no events yet', async () => {
    const page = await signedIn();
    expect(eventRowsOf((await page.get('/security')).html)).toEqual([['No security events yet.']]);
  });

  it('answers 409 when the form is stale: Set up while two-factor is already on', async () => {
    const page = await signedIn();
    const overview = await page.get('/security');
    h.account.account('alice').enabled = true;
    const stale = await page.post('/security/totp/setup', { csrf: csrfOf(overview.html) });
    expect(stale.response.status).toBe(409);
    expect(stale.html).toContain('<h1>Already changed</h1>');
    expect(stale.html).toContain('href="/security"');
  });

  it('refreshes an access token about to expire before calling the account API', async () => {
    const page = await signedIn();
    await page.get('/security');
    const first = h.account.calls[0]!.token;
    const from = h.issuer.events.length;
    h.clock.offsetMs = 290_000; // 10 s of the 300 s token left: inside the 30 s margin
    expect((await page.get('/security')).response.status).toBe(200);
    const later = h.account.calls.slice(2).map((c) => c.token);
    expect(later).toHaveLength(2);
    expect(later.every((token) => token && token !== first)).toBe(true);
    expect(h.issuer.events.slice(from).filter((e) => e.event === 'grant.success' && e.grant_type === 'refresh_token')).toHaveLength(1);
  });

  it('refreshes once and retries when the account API refuses the token (invalid_token)', async () => {
    const page = await signedIn();
    await page.get('/security');
    h.account.rejectTokensSeen();
    const from = h.issuer.events.length;
    const { response } = await page.get('/security');
    expect(response.status).toBe(200);
    // Both parallel calls were refused once; one refresh served both retries (single flight).
    expect(h.issuer.events.slice(from).filter((e) => e.event === 'grant.success' && e.grant_type === 'refresh_token')).toHaveLength(1);
    expect(h.account.calls.slice(2).map((c) => c.status).sort()).toEqual([200, 200, 401, 401]);
    expect(h.issuer.events.slice(from).filter((e) => e.event === 'grant.revoked')).toEqual([]);
  });

  it('ends the session and sends the browser to / when a refresh cannot mend an invalid token', async () => {
    const before = h.issuer.events.length;
    const page = await signedIn();
    const { refresh_token: refreshToken } = h.issuer.events.slice(before).find((e) => e.grant_type === 'authorization_code')!;
    await page.get('/security');
    h.account.rejectTokensSeen();
    await fetch(`${h.issuer.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken!, client_id: h.issuer.clientId, client_secret: h.issuer.clientSecret }).toString(),
    });
    const response = await page.browser.request(`${h.demoUrl}/security`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    expect(response.headers.getSetCookie().find((c) => c.startsWith('demo_session='))).toMatch(/Max-Age=0/);
    expect(page.browser.cookie(h.demoUrl, 'demo_session')).toBeUndefined();
    expect(await (await page.browser.request(`${h.demoUrl}/`)).text()).toContain('Sign in</a>');
  });

  // OWASP ASVS 5.0 V7.5.1 / RFC 9470: auth-server starts a set-up only for a sign-in of the
  // last 900 s and otherwise answers 401 insufficient_user_authentication. The demo sends the
  // browser to sign in again (prompt=login, OIDC Core s3.1.2.1) and back to /security; the
  // new session replaces the old one, which ends as at sign-out.
  describe('when auth-server wants a recent sign-in to start a set-up (RFC 9470)', () => {
    /** The refresh token the issuer handed out at the sign-in that followed event index `from`. */
    const refreshTokenSince = (from: number) => h.issuer.events.slice(from).find((e) => e.grant_type === 'authorization_code')!.refresh_token!;
    /** The store entry of the pending set-up beside session `id` (TotpEnrollmentService's attachment). */
    const enrollmentKey = (id: string) => `session:${createHash('sha256').update(id).digest('base64url')}:totp-enrollment`;

    /** Signed in, `/security` shown, and then auth-server counts that sign-in as too old. */
    async function signedInLongAgo(): Promise<{ page: SecurityPageDriver; csrf: string; oldSession: string; oldRefreshToken: string }> {
      const from = h.issuer.events.length;
      const page = await signedIn();
      const csrf = await page.csrf();
      h.account.ageSignInsSeen();
      return { page, csrf, oldSession: page.browser.cookie(h.demoUrl, 'demo_session')!, oldRefreshToken: refreshTokenSince(from) };
    }

    it('sends the browser to sign in again with prompt=login, then back to /security, where the set-up starts', async () => {
      const { page, csrf, oldSession } = await signedInLongAgo();
      const pressed = await page.post('/security/totp/setup', { csrf });
      expect(pressed.response.status).toBe(303);
      expect(pressed.response.headers.get('location')).toBe('/auth/login?reauth=1&return_to=%2Fsecurity');
      expect(pressed.response.headers.get('cache-control')).toBe('no-store');
      // Not signed out: the session stays until the new sign-in replaces it.
      expect(pressed.response.headers.getSetCookie()).toEqual([]);
      expect(h.account.calls.at(-1)).toMatchObject({ path: '/account/mfa/totp', status: 401 });
      // No refresh-and-retry: a refreshed token keeps the old auth_time.
      expect(h.account.calls.filter((c) => c.path === '/account/mfa/totp')).toHaveLength(1);
      expect(h.account.account('alice').pending).toBe(false);

      const start = await page.browser.request(`${h.demoUrl}${pressed.response.headers.get('location')!}`);
      expect(start.status).toBe(302);
      const authorization = new URL(start.headers.get('location')!);
      expect(authorization.origin).toBe(h.issuer.issuer);
      expect(authorization.searchParams.get('prompt')).toBe('login');
      // The return path stays on the demo's server, in the pending sign-in.
      expect(authorization.href).not.toContain('security');

      const { response: callback, url } = await page.browser.follow(authorization.href, (next) => next.origin === h.demoUrl && next.pathname !== '/auth/callback');
      expect(new URL(url).pathname).toBe('/auth/callback');
      expect(callback.status).toBe(303);
      expect(callback.headers.get('location')).toBe('/security');
      expect(page.browser.cookie(h.demoUrl, 'demo_session')).not.toBe(oldSession);

      const back = await page.get('/security');
      expect(back.response.status).toBe(200);
      expect(back.html).toContain('Set up authenticator app');
      const setup = await page.startSetup();
      expect(setup.response.status).toBe(200);
      expect(setup.secret).toBe(h.account.account('alice').secret);
      expect(findSecrets(h.logs.text(), [setup.secret, 'fake-description'])).toEqual([]);
    });

    it('ends the old session at the new sign-in: gone, its refresh token revoked, its pending set-up removed', async () => {
      const from = h.issuer.events.length;
      const page = await signedIn();
      const oldSession = page.browser.cookie(h.demoUrl, 'demo_session')!;
      const oldRefreshToken = refreshTokenSince(from);
      // A set-up started while the sign-in was recent, then abandoned: its secret waits beside the session.
      await page.startSetup();
      const store = h.demo.get<SessionStore>(SessionStore);
      expect(await store.get(enrollmentKey(oldSession))).toBeDefined();
      h.account.ageSignInsSeen();

      const pressed = await page.post('/security/totp/setup', { csrf: await page.csrf() });
      expect(pressed.response.headers.get('location')).toBe('/auth/login?reauth=1&return_to=%2Fsecurity');
      const signIn = h.issuer.events.length;
      const { response, url } = await page.browser.follow(`${h.demoUrl}${pressed.response.headers.get('location')!}`);
      expect(response.status).toBe(200);
      expect(url).toBe(`${h.demoUrl}/security`);

      // Revoked at the issuer as at sign-out (RFC 7009)...
      await h.issuer.waitFor((e) => e.event === 'refresh_token.destroyed', signIn);
      const reuse = await fetch(`${h.issuer.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: oldRefreshToken, client_id: h.issuer.clientId, client_secret: h.issuer.clientSecret }).toString(),
      });
      expect(((await reuse.json()) as { error?: string }).error).toBe('invalid_grant');
      // ...and nothing of it left in the demo: the cookie's old value opens nothing, the secret is gone.
      const stale = new TestBrowser();
      stale.setCookie(h.demoUrl, 'demo_session', oldSession);
      expect((await stale.request(`${h.demoUrl}/api/me`)).status).toBe(401);
      expect((await stale.request(`${h.demoUrl}/security`)).headers.get('location')).toBe('/');
      expect(await store.get(enrollmentKey(oldSession))).toBeUndefined();

      // The new session is whole: its own tokens live on (not revoked with the old ones), and refresh.
      expect((await page.browser.request(`${h.demoUrl}/api/me`)).status).toBe(200);
      h.clock.offsetMs = 290_000;
      expect((await page.browser.request(`${h.demoUrl}/api/me`)).status).toBe(200);
      expect(h.issuer.events.slice(signIn).filter((e) => e.event === 'grant.success' && e.grant_type === 'refresh_token')).toHaveLength(1);
    });

    it('explains the new sign-in on /security, and lets its set-up form be redirected to auth-server (CSP form-action)', async () => {
      const page = await signedIn();
      const { response, html } = await page.get('/security');
      expect(html).toContain('Setting up needs a recent sign-in: if you signed in more than 15 minutes ago, you will be asked to sign in again first');
      // Chromium applies form-action to the redirects after a form post: /auth/login, then the issuer.
      expect(response.headers.get('content-security-policy')).toContain(`form-action 'self' ${h.issuer.issuer};`);
    });

    it('keeps the session when the new sign-in fails: back to Try again, the old session still works', async () => {
      const { page, csrf, oldSession } = await signedInLongAgo();
      const pressed = await page.post('/security/totp/setup', { csrf });
      const callback = `${h.demoUrl}/auth/callback`;
      const { response, url } = await page.browser.follow(`${h.demoUrl}${pressed.response.headers.get('location')!}`, (next) => next.href.startsWith(callback));
      const tampered = new URL(response.headers.get('location')!, url);
      tampered.searchParams.set('state', 'x'.repeat(43));
      expect((await page.browser.request(tampered.href)).status).toBe(400);
      expect(page.browser.cookie(h.demoUrl, 'demo_session')).toBe(oldSession);
      expect((await page.get('/security')).response.status).toBe(200);
    });
  });
});
