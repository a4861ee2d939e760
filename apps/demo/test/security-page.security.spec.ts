import { findSecrets } from '@authkit/testing';
import { TestBrowser } from './support/browser';
import { startDemoHarness, type DemoHarness } from './support/demo-harness';
import { FAKE_ERROR_DESCRIPTION } from './support/fake-account-api';
import { csrfOf, eventRowsOf, recoveryCodesOf, SECURITY_FORMS, SecurityPageDriver, type Fetched } from './support/security-page';

// Attacks on the demo's /security page, each naming its source. auth-server's account API
// is the HTTP stand-in of test/support/fake-account-api.ts, served at <issuer>/account/*.

/** The page the demo shows for a refused step: no stack frame, no upstream text, no secrets. */
function expectPlainErrorPage({ response, html }: Fetched, status: number, title: string): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  expect(html).toContain(`<h1>${title}</h1>`);
  expect(html).not.toMatch(/\bat .+:\d+:\d+\)?/); // no stack frame (CWE-209)
  expect(html).not.toContain('fake-description');
  expect(html).not.toMatch(/<script/i);
}

describe('demo /security page attacks', () => {
  let h: DemoHarness;

  beforeAll(async () => {
    h = await startDemoHarness({ redisUrl: process.env['REDIS_URL'] });
  }, 60_000);
  afterAll(() => h?.close());
  beforeEach(() => h.account.reset());

  const signedIn = async () => new SecurityPageDriver(h, await h.signIn());

  // CSRF (OWASP CSRF cheat sheet, CWE-352): a cross-site form could turn two-factor on
  // with the attacker's secret, or off. Each form needs the session's synchronizer token and
  // the demo's own Origin; a refused form changes nothing and reaches no account API.
  describe('CSRF on every form (CWE-352)', () => {
    /** A signed-in browser with a setup pending, and a code that would confirm it. */
    async function armed(): Promise<{ page: SecurityPageDriver; csrf: string; code: string }> {
      const page = await signedIn();
      const { secret } = await page.startSetup();
      const code = await h.account.totp.generate(secret, Date.now() + 30_000);
      return { page, csrf: await page.csrf(), code };
    }

    const other = () => signedIn().then((p) => p.csrf());

    it.each(SECURITY_FORMS.flatMap((form) => [
      [form, 'without the form token', 'own', 'none'],
      [form, 'with another session\'s form token', 'own', 'foreign'],
      [form, 'with a forged form token', 'own', 'forged'],
      [form, 'with the token twice', 'own', 'twice'],
      [form, 'from a foreign Origin', 'https://evil.example', 'genuine'],
      [form, 'from the opaque Origin null', 'null', 'genuine'],
      [form, 'without an Origin', undefined, 'genuine'],
    ] as const))('refuses %s %s with 403 and changes nothing', async (form, _label, origin, token) => {
      const { page, csrf, code } = await armed();
      const pending = { ...h.account.account('alice') };
      const fields = new URLSearchParams({ code });
      if (token === 'genuine') fields.set('csrf', csrf);
      if (token === 'foreign') fields.set('csrf', await other());
      if (token === 'forged') fields.set('csrf', 'A'.repeat(csrf.length));
      if (token === 'twice') ['first', 'second'].forEach(() => fields.append('csrf', csrf));
      const beforeRequest = h.account.calls.length;
      const response = await page.browser.request(`${h.demoUrl}${form}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin === undefined ? {} : { origin: origin === 'own' ? h.demoUrl : origin }) },
        body: fields.toString(),
      });
      expectPlainErrorPage({ response, html: await response.text() }, 403, 'Request refused');
      expect(h.account.calls.length).toBe(beforeRequest);
      expect(h.account.account('alice')).toEqual(pending);
    });

    it('accepts the genuine forms (control)', async () => {
      const page = await signedIn();
      const csrf = await page.csrf();
      expect((await page.post('/security/totp/setup', { csrf })).response.status).toBe(303);
      expect((await page.post('/security/totp/turn-off', { csrf })).response.status).toBe(200);
      expect((await page.post('/security/recovery-codes/new', { csrf })).response.status).toBe(200);
    });

    // The recovery code forms with two-factor on and a code that would work: a forged
    // `Get new codes` would replace the user's codes (the ones they saved stop working).
    describe('on the recovery code forms, with two-factor on', () => {
      const RECOVERY_CODE_FORMS = ['/security/recovery-codes/new', '/security/recovery-codes/regenerate'] as const;

      /** A signed-in browser with two-factor on, its form token, and a code that would be accepted. */
      async function enabled(): Promise<{ page: SecurityPageDriver; csrf: string; code: string }> {
        const page = await signedIn();
        const { secret } = await page.enable();
        const code = await h.account.totp.generate(secret, Date.now() + 30_000);
        return { page, csrf: await page.csrf(), code };
      }

      it.each(RECOVERY_CODE_FORMS.flatMap((form) => [
        [form, 'without the form token', 'own', 'none'],
        [form, 'with another session\'s form token', 'own', 'foreign'],
        [form, 'from a foreign Origin', 'https://evil.example', 'genuine'],
      ] as const))('refuses %s %s with 403: nothing reaches the account API, the codes stay', async (form, _label, origin, token) => {
        const { page, csrf, code } = await enabled();
        const codes = [...h.account.account('alice').recoveryCodes];
        const fields: Record<string, string> = { code };
        if (token === 'genuine') fields['csrf'] = csrf;
        if (token === 'foreign') fields['csrf'] = await other();
        const beforeRequest = h.account.calls.length;
        const refused = await page.post(form, fields, { origin: origin === 'own' ? h.demoUrl : origin });
        expectPlainErrorPage(refused, 403, 'Request refused');
        expect(recoveryCodesOf(refused.html)).toBeUndefined();
        expect(h.account.calls.length).toBe(beforeRequest);
        expect(h.account.account('alice').recoveryCodes).toEqual(codes);
      });

      it('accepts the genuine forms (control)', async () => {
        const { page, csrf, code } = await enabled();
        const asked = await page.post('/security/recovery-codes/new', { csrf });
        expect(asked.response.status).toBe(200);
        const done = await page.post('/security/recovery-codes/regenerate', { csrf: csrfOf(asked.html), code });
        expect(done.response.status).toBe(200);
        expect(recoveryCodesOf(done.html)).toEqual(h.account.account('alice').recoveryCodes);
      });
    });

    it('sends a form without a session to / and asks nothing of auth-server', async () => {
      for (const form of SECURITY_FORMS) {
        const response = await new TestBrowser().request(`${h.demoUrl}${form}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.demoUrl },
          body: 'csrf=x&code=123456',
        });
        expect(response.status).toBe(303);
        expect(response.headers.get('location')).toBe('/');
      }
      expect(h.account.calls).toEqual([]);
    });
  });

  // OWASP ASVS 5.0 V6.5 (MFA secrets): the enrollment secret stays on the server between
  // the setup page and its confirmation, so it cannot be swapped by a forged form.
  it('keeps the enrollment secret server-side: never in a form field, and only on its own page', async () => {
    const page = await signedIn();
    const setup = await page.startSetup();
    expect(setup.html.split(setup.secret)).toHaveLength(2); // once: the Secret key element
    expect(setup.html).not.toMatch(new RegExp(`value="[^"]*${setup.secret}`));
    expect((await page.get('/security')).html).not.toContain(setup.secret);
    // A secret posted along with the form is ignored: the pending one is confirmed.
    const own = await h.account.totp.generate(setup.secret);
    const confirmed = await page.post('/security/totp/confirm', { csrf: csrfOf(setup.html), code: own, secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' });
    expect(recoveryCodesOf(confirmed.html)).toHaveLength(10);
    expect(h.account.account('alice').secret).toBe(setup.secret);
  });

  // CWE-79 (stored XSS): event types and outcomes come from auth-server's log, which
  // records what clients and users sent; the page must escape them.
  it('escapes hostile event types, outcomes and times in the events table (CWE-79)', async () => {
    const page = await signedIn();
    await page.get('/security');
    h.account.account('alice').events.push(
      { id: '1', time: '2026-11-29T12:00:00.000Z', type: '<script>alert(1)</script>', outcome: '"><img src=x onerror=alert(2)>' },
      { id: '2', time: '<svg onload=alert(3)>', type: 'auth.login.failed', outcome: "x' onmouseover='alert(4)" },
    );
    const { response, html } = await page.get('/security');
    expect(response.status).toBe(200);
    expect(html).not.toMatch(/<script|<img|<svg onload|onmouseover='/i);
    const cells = eventRowsOf(html).flat();
    expect(cells).toEqual(
      expect.arrayContaining([
        '&#60;script&#62;alert(1)&#60;/script&#62;',
        '&#34;&#62;&#60;img src=x onerror=alert(2)&#62;',
        '&#60;svg onload=alert(3)&#62;',
        'x&#39; onmouseover=&#39;alert(4)',
      ]),
    );
  });

  // CWE-636 (fail open): when auth-server's account API cannot answer properly, the page
  // shows nothing it cannot vouch for: a 503 page, no stack, no partial state.
  describe('fails closed when the account API cannot answer (CWE-636, CWE-209)', () => {
    it.each([
      ['is down (connection dropped)', () => void (h.account.down = true)],
      ['answers 503 temporarily_unavailable', () => void (h.account.override = { status: 503, body: { error: 'temporarily_unavailable', error_description: FAKE_ERROR_DESCRIPTION } })],
      ['answers 500 with an HTML stack trace', () => void (h.account.override = { status: 500, body: '<pre>Error: boom\n    at x (/srv/a.js:1:2)</pre>', headers: { 'content-type': 'text/html' } })],
      ['answers 200 with a body that is not JSON', () => void (h.account.override = { status: 200, body: 'not json', headers: { 'content-type': 'text/plain' } })],
      ['answers 200 JSON of another shape', () => void (h.account.override = { status: 200, body: { totp: { enabled: 'yes' }, events: 'none' } })],
      ['answers 404 (no account API)', () => void (h.account.override = { status: 404, body: { error: 'not_found' } })],
      ['redirects elsewhere', () => void (h.account.override = { status: 302, headers: { location: 'https://evil.example/' } })],
      ['refuses the demo\'s client credentials (invalid_client)', () => void (h.account.override = { status: 401, body: { error: 'invalid_client', error_description: FAKE_ERROR_DESCRIPTION } })],
    ])('when it %s: 503 page', async (_label, breakIt) => {
      const page = await signedIn();
      const csrf = await page.csrf();
      breakIt();
      expectPlainErrorPage(await page.get('/security'), 503, 'Security settings unavailable');
      expectPlainErrorPage(await page.post('/security/totp/setup', { csrf }), 503, 'Security settings unavailable');
      // The session survives an outage of auth-server.
      expect(page.browser.cookie(h.demoUrl, 'demo_session')).toBeDefined();
    });

    it('logs an error naming the settings to check when auth-server refuses the client credentials', async () => {
      const page = await signedIn();
      h.account.override = { status: 401, body: { error: 'invalid_client' } };
      await page.get('/security');
      expect(h.logs.text()).toMatch(/refused the demo client credentials at the account API: check DEMO_CLIENT_ID and DEMO_CLIENT_SECRET/);
    });
  });

  // RFC 6585 s4 / RFC 9110 s10.2.3: auth-server's throttling reaches the user with its Retry-After.
  it('passes a 429 on with its Retry-After', async () => {
    const page = await signedIn();
    const { secret, html } = await page.startSetup();
    h.account.override = { status: 429, body: { error: 'too_many_requests', error_description: FAKE_ERROR_DESCRIPTION }, headers: { 'retry-after': '42' } };
    const refused = await page.post('/security/totp/confirm', { csrf: csrfOf(html), code: await h.account.totp.generate(secret) });
    expectPlainErrorPage(refused, 429, 'Too many attempts');
    expect(refused.response.headers.get('retry-after')).toBe('42');
    h.account.override = { status: 429, body: { error: 'too_many_requests' } };
    const page2 = await page.get('/security');
    expectPlainErrorPage(page2, 429, 'Too many attempts');
    expect(page2.response.headers.get('retry-after')).toBe('60'); // none sent: a default, never none
  });

  // OWASP ASVS 5.0 V6.3 (recovery codes are shown once): neither a reload nor a replay of
  // the confirmation shows them again.
  it('shows the recovery codes once: not on /security, not on a replayed confirmation', async () => {
    const page = await signedIn();
    const setup = await page.startSetup();
    const form = { csrf: csrfOf(setup.html), code: await h.account.totp.generate(setup.secret) };
    const codes = recoveryCodesOf((await page.post('/security/totp/confirm', form)).html)!;
    expect(codes).toHaveLength(10);
    const reload = await page.get('/security');
    const replay = await page.post('/security/totp/confirm', form);
    expect(replay.response.status).toBe(409);
    for (const html of [reload.html, replay.html]) for (const code of codes) expect(html).not.toContain(code);
  });

  it('never shows auth-server\'s error descriptions (invalid_code, invalid_request, conflicts)', async () => {
    const page = await signedIn();
    const setup = await page.startSetup();
    const wrong = await page.post('/security/totp/confirm', { csrf: csrfOf(setup.html), code: '000000' === (await h.account.totp.generate(setup.secret)) ? '111111' : '000000' });
    expect(wrong.response.status).toBe(400);
    expect(wrong.html).not.toContain('fake-description');
    h.account.override = { status: 400, body: { error: 'invalid_request', error_description: FAKE_ERROR_DESCRIPTION } };
    expectPlainErrorPage(await page.get('/security'), 400, 'Request refused');
    h.account.override = { status: 409, body: { error: 'mfa_already_enabled', error_description: FAKE_ERROR_DESCRIPTION } };
    expectPlainErrorPage(await page.post('/security/totp/setup', { csrf: csrfOf(setup.html) }), 409, 'Already changed');
  });

  // CWE-532 (sensitive information in logs): tokens, the client secret, the enrollment
  // secret, authentication and recovery codes, and auth-server's descriptions.
  it('leaves no token, secret, code or upstream description in the demo\'s logs (CWE-532)', async () => {
    const page = await signedIn();
    const { secret } = await page.enable();
    const codes = recoveryCodesOf((await page.get('/security')).html) ?? [];
    const turnOff = await page.post('/security/totp/turn-off', { csrf: await page.csrf() });
    const code = await h.account.totp.generate(secret, Date.now() + 30_000);
    await page.post('/security/totp/disable', { csrf: csrfOf(turnOff.html), code: code === '123456' ? '654321' : '123456' });
    await page.post('/security/totp/disable', { csrf: csrfOf(turnOff.html), code });
    const tokens = h.account.calls.map((c) => c.token!).filter(Boolean);
    const refreshTokens = h.issuer.events.map((e) => e.refresh_token!).filter(Boolean);
    const text = h.logs.text();
    expect(text).toMatch(/account API \/account\/mfa\/totp\/disable answered 400 invalid_code/);
    expect(findSecrets(text, [secret, code, ...codes, ...tokens, ...refreshTokens, h.issuer.clientSecret, FAKE_ERROR_DESCRIPTION])).toEqual([]);
    expect(text).not.toContain('fake-description');
  });
});

// CWE-636 (fail open), with the whole of auth-server gone after the demo discovered it: the
// account API's connection is refused. Last in this file, with a demo of its own (Nest's
// logger is process-wide: a second app takes it over).
describe('demo /security page with auth-server unreachable', () => {
  it('shows a 503 page when the whole of auth-server is unreachable after discovery', async () => {
    const own = await startDemoHarness();
    try {
      const page = new SecurityPageDriver(own, await own.signIn());
      const csrf = await page.csrf();
      await own.issuer.stop();
      expectPlainErrorPage(await page.get('/security'), 503, 'Security settings unavailable');
      expectPlainErrorPage(await page.post('/security/totp/setup', { csrf }), 503, 'Security settings unavailable');
      expect(findSecrets(own.logs.text(), [own.issuer.clientSecret])).toEqual([]);
    } finally {
      await own.close();
    }
  }, 60_000);
});
