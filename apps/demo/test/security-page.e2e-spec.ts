import { findSecrets } from '@authkit/testing';
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
});
