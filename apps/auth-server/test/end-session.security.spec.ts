import { generateKeyPairSync, sign } from 'node:crypto';
import { describeEachDatabase } from '@authkit/testing';
import { SigningKeyService } from '../src/app/keys/signing-key.service';
import { FALLBACK, OTHER, RP, startEndSessionKit, type EndSessionKit, type SignedInBrowser } from './end-session.fixture';

// Attack regressions of the end-session endpoint (OpenID Connect RP-Initiated Logout 1.0).
// Each test names the attack and its source. "Session intact" is checked the way a relying
// party sees it: prompt=none still returns a code.

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describeEachDatabase('end-session endpoint attacks', (database) => {
  let kit: EndSessionKit;

  beforeAll(async () => {
    kit = await startEndSessionKit(database());
  });
  afterAll(() => kit?.close());

  async function expectErrorPage(response: Response, code: string): Promise<string> {
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await response.text();
    expect(html).toContain(`<code id="error-code">${code}</code>`);
    return html;
  }

  async function expectConfirmation(response: Response, browser: SignedInBrowser): Promise<string> {
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.getSetCookie().some((c) => c.startsWith('auth_session='))).toBe(false);
    const html = await response.text();
    expect(html).toContain('<h1>Sign out?</h1>');
    expect(await kit.alive(browser.agent)).toBe(true);
    return html;
  }

  // Open redirector (RP-Initiated Logout 1.0 s3.1: the URI "MUST have been previously
  // registered"; RFC 9700 s4.11; CWE-601): only exact registered strings ever get a Location.
  describe('open redirect through post_logout_redirect_uri (RFC 9700 s4.11, CWE-601)', () => {
    let browser: SignedInBrowser;
    beforeAll(async () => {
      browser = await kit.signIn();
    });

    it.each([
      ['an unregistered URI', 'https://evil.example/'],
      ['another path', 'https://rp.end-session.test/signed-out/x'],
      ['a trailing slash', 'https://rp.end-session.test/signed-out/'],
      ['another port', 'https://rp.end-session.test:8443/signed-out'],
      ['another case', 'https://RP.end-session.test/signed-out'],
      ['an added query', 'https://rp.end-session.test/signed-out?next=https://evil.example/'],
      ['plain http', 'http://rp.end-session.test/signed-out'],
      ['a userinfo prefix', 'https://rp.end-session.test@evil.example/signed-out'],
      ["the origin of the client's redirect URI (it registers post-logout URIs, so no fallback)", 'https://rp.end-session.test/'],
      ["another client's registered URI", OTHER.postLogoutRedirectUri],
    ])('refuses %s without redirecting, and keeps the session', async (_name, uri) => {
      const response = await kit.logout({ id_token_hint: browser.idToken, post_logout_redirect_uri: uri, state: 's' }, browser.cookie);
      await expectErrorPage(response, 'invalid_post_logout_redirect_uri');
      expect(await kit.alive(browser.agent)).toBe(true);
    });

    it.each([
      ['without a slash', 'https://fallback.end-session.test:8443'],
      ['with a path', 'https://fallback.end-session.test:8443/auth/callback'],
      ['on another port', 'https://fallback.end-session.test/'],
    ])('keeps the fallback to <origin>/ exact: refuses the origin %s', async (_name, uri) => {
      const response = await kit.logout({ client_id: FALLBACK.clientId, post_logout_redirect_uri: uri });
      await expectErrorPage(response, 'invalid_post_logout_redirect_uri');
    });

    it("refuses client A's hint with client_id B, even for B's registered URI (client confusion, RP-Initiated Logout s2)", async () => {
      const response = await kit.logout({ id_token_hint: browser.idToken, client_id: OTHER.clientId, post_logout_redirect_uri: OTHER.postLogoutRedirectUri }, browser.cookie);
      await expectErrorPage(response, 'invalid_request');
      expect(await kit.alive(browser.agent)).toBe(true);
    });

    it('refuses a post_logout_redirect_uri with neither hint nor client_id (s3.1), and an unknown client_id', async () => {
      await expectErrorPage(await kit.logout({ post_logout_redirect_uri: RP.postLogoutRedirectUri }, browser.cookie), 'invalid_request');
      await expectErrorPage(await kit.logout({ client_id: 'nobody', post_logout_redirect_uri: RP.postLogoutRedirectUri }, browser.cookie), 'invalid_client');
      expect(await kit.alive(browser.agent)).toBe(true);
    });

    it('refuses duplicated parameters (RFC 6749 s3.1): two post_logout_redirect_uri, two client_id', async () => {
      const twoUris = `${kit.server.url}/oauth2/logout?client_id=${RP.clientId}&post_logout_redirect_uri=${encodeURIComponent(RP.postLogoutRedirectUri)}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`;
      await expectErrorPage(await fetch(twoUris, { redirect: 'manual', headers: { cookie: `auth_session=${browser.cookie}` } }), 'invalid_request');
      const twoClients = `${kit.server.url}/oauth2/logout?client_id=${RP.clientId}&client_id=${OTHER.clientId}&post_logout_redirect_uri=${encodeURIComponent(RP.postLogoutRedirectUri)}`;
      await expectErrorPage(await fetch(twoClients, { redirect: 'manual' }), 'invalid_request');
      expect(await kit.alive(browser.agent)).toBe(true);
    });
  });

  // Forged hint (RP-Initiated Logout 1.0 s2: the OP MUST validate it issued the hint; RFC
  // 8725 s3.1, s3.11; CWE-345): never a silent logout, only the confirmation page.
  describe('forged or altered id_token_hint (RP-Initiated Logout s2, RFC 8725, CWE-345)', () => {
    const forgeries: [string, (b: SignedInBrowser) => string | Promise<string>][] = [
      ['an altered payload (signature kept)', (b) => {
        const [h, p, s] = b.idToken.split('.');
        const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
        return `${h}.${b64({ ...claims, exp: (claims['exp'] as number) + 1 })}.${s}`;
      }],
      ['alg none', (b) => `${b64({ alg: 'none', typ: 'JWT' })}.${b.idToken.split('.')[1]}.`],
      ['a foreign key under our kid', (b) => {
        const header = JSON.parse(Buffer.from(b.idToken.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
        const input = `${b64(header)}.${b.idToken.split('.')[1]}`;
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
      }],
      ['an access token of ours (typ at+jwt, token confusion RFC 8725 s3.11)', async (b) => {
        const now = Math.floor(Date.now() / 1000);
        return kit.server.app.get(SigningKeyService).signJwt('at+jwt', { iss: kit.server.config.issuer, sub: b.userId, aud: RP.clientId, client_id: RP.clientId, iat: now, exp: now + 60, jti: 'j', scope: 'openid' });
      }],
      ['an ID token of ours for another issuer', async (b) => {
        const now = Math.floor(Date.now() / 1000);
        return kit.server.app.get(SigningKeyService).signJwt('JWT', { iss: 'https://elsewhere.example', sub: b.userId, aud: RP.clientId, azp: RP.clientId, iat: now, exp: now + 60 });
      }],
      ['garbage', () => 'not.a.jwt'],
    ];

    it.each(forgeries)('%s: shows the confirmation page and keeps the session', async (_name, forge) => {
      const browser = await kit.signIn();
      const response = await kit.logout({ id_token_hint: await forge(browser), client_id: RP.clientId, post_logout_redirect_uri: RP.postLogoutRedirectUri }, browser.cookie);
      await expectConfirmation(response, browser);
      expect(await kit.auditEvents('auth.logout', browser.userId)).toEqual([]);
    });
  });

  // Logout CSRF (OWASP ASVS 5.0 V3.5.1; CWE-352; RP-Initiated Logout s2 "the OP SHOULD ask
  // the End-User"): a foreign page cannot end the session.
  describe('logout CSRF (CWE-352, OWASP ASVS 5.0 V3.5.1)', () => {
    it('a GET without a hint from a foreign page does not end the session', async () => {
      const browser = await kit.signIn();
      const response = await kit.logout({}, browser.cookie, { referer: 'https://evil.example/', 'sec-fetch-site': 'cross-site' });
      await expectConfirmation(response, browser);
    });

    it('a POST to the endpoint without a hint from a foreign page does not end the session', async () => {
      const browser = await kit.signIn();
      const response = await fetch(`${kit.server.url}/oauth2/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `auth_session=${browser.cookie}`, origin: 'https://evil.example' },
        body: new URLSearchParams({ client_id: RP.clientId }),
      });
      await expectConfirmation(response, browser);
    });

    it.each([
      ['without a CSRF token', undefined],
      ['with a wrong CSRF token', 'A'.repeat(43)],
      ['with the token of another session', 'other'],
    ])('the confirmation POST %s is refused with 403 and the session stays', async (_name, token) => {
      const browser = await kit.signIn();
      let csrf = token;
      if (token === 'other') {
        const other = await kit.signIn();
        const page = await (await kit.logout({}, other.cookie)).text();
        csrf = /name="csrf_token" value="([^"]+)"/.exec(page)![1]!;
      }
      const response = await fetch(`${kit.server.url}/oauth2/logout/confirm`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `auth_session=${browser.cookie}` },
        body: new URLSearchParams({ client_id: RP.clientId, post_logout_redirect_uri: RP.postLogoutRedirectUri, ...(csrf ? { csrf_token: csrf } : {}) }),
      });
      expect(response.status).toBe(403);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('<code id="error-code">invalid_csrf_token</code>');
      expect(await kit.alive(browser.agent)).toBe(true);
    });

    it.each([
      ['Sign out', 'yes'],
      ['Stay signed in', 'no'],
    ])('the confirmation POST (%s) re-validates its return address (a tampered form cannot open-redirect)', async (_button, logout) => {
      const browser = await kit.signIn();
      const page = await (await kit.logout({ client_id: RP.clientId }, browser.cookie)).text();
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(page)![1]!;
      const response = await fetch(`${kit.server.url}/oauth2/logout/confirm`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `auth_session=${browser.cookie}` },
        body: new URLSearchParams({ csrf_token: csrf, client_id: RP.clientId, post_logout_redirect_uri: 'https://evil.example/', logout }),
      });
      await expectErrorPage(response, 'invalid_post_logout_redirect_uri');
      expect(await kit.alive(browser.agent)).toBe(true);
    });
  });

  // Signing out someone else's session with one's own valid ID token (RP-Initiated Logout
  // s2: the hint identifies the End-User; CWE-352 in another form).
  it("a valid hint for another user's sub gets the confirmation page, not a silent logout", async () => {
    const victim = await kit.signIn();
    const attacker = await kit.signIn();
    const response = await kit.logout({ id_token_hint: attacker.idToken, post_logout_redirect_uri: RP.postLogoutRedirectUri }, victim.cookie);
    await expectConfirmation(response, victim);
    expect(await kit.auditEvents('auth.logout', victim.userId)).toEqual([]);
  });

  // Reflected XSS (CWE-79; OWASP XSS Prevention rules 1-2): state is escaped on the page,
  // URL-encoded in the Location, and never echoed on an error page.
  it('reflected XSS in state (CWE-79): escaped on the page, exact in the redirect, absent from errors', async () => {
    const state = `"><script>alert(1)</script><img src=x onerror=alert(1)>'`;
    const browser = await kit.signIn();
    await browser.agent.open(`${kit.server.url}/oauth2/logout?${new URLSearchParams({ client_id: RP.clientId, post_logout_redirect_uri: RP.postLogoutRedirectUri, state })}`);
    expect(browser.agent.page.status).toBe(200);
    expect(browser.agent.page.html).not.toContain('<script>');
    expect(browser.agent.page.html).not.toContain('<img');
    const landed = await browser.agent.submit('Sign out');
    expect(landed!.searchParams.getAll('state')).toEqual([state]);
    expect(landed!.href).not.toContain('<');

    const error = await kit.logout({ client_id: RP.clientId, post_logout_redirect_uri: 'https://evil.example/', state });
    const html = await expectErrorPage(error, 'invalid_post_logout_redirect_uri');
    expect(html).not.toContain('alert');
  });

  it('refuses an oversized state instead of echoing it', async () => {
    await expectErrorPage(await kit.logout({ client_id: RP.clientId, post_logout_redirect_uri: RP.postLogoutRedirectUri, state: 'x'.repeat(2_049) }), 'invalid_request');
  });
});
