// Attacks on the authorization endpoint and its sign-in pages:
// - code theft by redirect URI manipulation, and open redirects through error paths
//   (RFC 9700 s4.1, s4.11; RFC 6749 s4.1.2.1, s10.6, s10.15; CWE-601);
// - PKCE downgrade (RFC 7636 s4.4.1, s7.2; RFC 9700 s2.1.1);
// - parameter pollution (RFC 6749 s3.1; CWE-235);
// - session fixation (OWASP ASVS 5.0 V7.2.4; CWE-384);
// - login and consent CSRF (RFC 6749 s10.12; OWASP ASVS 5.0 V3.5.1; CWE-352);
// - clickjacking (RFC 6749 s10.13; CWE-1021);
// - reflected XSS (CWE-79);
// - credentials in logs and audit rows (CWE-532; OWASP ASVS 5.0 V16.2.5);
// - online password guessing (OWASP ASVS 5.0 V6.3.1; CWE-307);
// - tampering with the request carried through the forms (CWE-472).
import { DataSource } from 'typeorm';
import { AuditService } from '@authkit/audit';
import { describeEachDatabase, findSecrets } from '@authkit/testing';
import { ClientService } from '../src/app/clients/client.service';
import { SessionService } from '../src/app/sessions/session.service';
import { UserService } from '../src/app/users/user.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';
import { Browser, hiddenFields, pkcePair, type BrowserResponse } from './sign-in.browser';

const ACTOR = { type: 'system', id: 'test' } as const;
const PASSWORD = 'Sup3r-Secret-Passphrase-7f3a';
const CALLBACK = 'https://app.example.com/callback';

describeEachDatabase('authorization endpoint attacks', (database) => {
  let server: RunningAuthServer;
  let users = 0;

  beforeAll(async () => {
    server = await startAuthServer(database(), { TRUST_PROXY: '127.0.0.1' });
    const clients = server.app.get(ClientService);
    const code = { grant_types: ['authorization_code'], token_endpoint_auth_method: 'none' as const };
    await clients.create({ ...code, client_id: 'web', redirect_uris: [CALLBACK], scope: 'openid profile' }, ACTOR);
    await clients.create({ ...code, client_id: 'two-uris', redirect_uris: [CALLBACK, 'https://app.example.com/other'], scope: 'openid' }, ACTOR);
    await clients.create({ grant_types: ['client_credentials'], client_id: 'machine', scope: 'demo:read', redirect_uris: [CALLBACK] }, ACTOR);
  });
  afterAll(() => server?.close());

  async function newUser(): Promise<string> {
    const email = `victim${++users}@example.com`;
    await server.app.get(UserService).create({ email, password: PASSWORD }, ACTOR);
    return email;
  }

  function query(params: Record<string, string | undefined>, extra = ''): string {
    const { challenge } = pkcePair();
    const all: Record<string, string> = { response_type: 'code', client_id: 'web', redirect_uri: CALLBACK, scope: 'openid', state: 'xyz', code_challenge: challenge, code_challenge_method: 'S256' };
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) delete all[name];
      else all[name] = value;
    }
    return `/oauth2/authorize?${new URLSearchParams(all)}${extra}`;
  }

  function expectErrorPage(response: BrowserResponse, code: string): void {
    expect(response.status).toBe(400);
    expect(response.location).toBeUndefined();
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.html).toContain(`<code id="error-code">${code}</code>`);
    expect(response.html).not.toContain('evil');
  }

  function expectRedirectError(response: BrowserResponse, error: string): URLSearchParams {
    expect(response.status).toBe(302);
    expect(response.location?.startsWith(`${CALLBACK}?`)).toBe(true);
    const params = new URL(response.location!).searchParams;
    expect(params.get('error')).toBe(error);
    expect(params.get('iss')).toBe(server.config.issuer);
    expect(params.get('code')).toBeNull();
    return params;
  }

  describe('redirect URI manipulation gets an error page and no Location (RFC 9700 s4.1.3, exact matching)', () => {
    it.each([
      ['another port', 'https://app.example.com:8443/callback'],
      ['upper-case host', 'https://APP.example.com/callback'],
      ['trailing slash', 'https://app.example.com/callback/'],
      ['added query', 'https://app.example.com/callback?next=https://evil.example'],
      ['fragment', 'https://app.example.com/callback#evil'],
      ['path traversal', 'https://app.example.com/callback/../evil'],
      ['encoded path traversal', 'https://app.example.com/callback/%2e%2e/evil'],
      ['userinfo @', 'https://app.example.com@evil.example/callback'],
      ['subdomain', 'https://evil.app.example.com/callback'],
      ['sibling domain', 'https://app.example.com.evil.example/callback'],
      ['scheme', 'http://app.example.com/callback'],
      ['javascript scheme', 'javascript:alert(1)//evil'],
    ])('%s', async (_case, redirectUri) => {
      expectErrorPage(await new Browser(server.url).get(query({ redirect_uri: redirectUri })), 'invalid_redirect_uri');
    });

    it('a missing redirect URI when the client registered two', async () => {
      expectErrorPage(await new Browser(server.url).get(query({ client_id: 'two-uris', redirect_uri: undefined })), 'invalid_redirect_uri');
    });

    it('a repeated redirect_uri, even if one copy is registered (RFC 6749 s3.1)', async () => {
      expectErrorPage(await new Browser(server.url).get(query({}, `&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`)), 'invalid_redirect_uri');
    });
  });

  describe('client problems get an error page, never a redirect (RFC 6749 s4.1.2.1)', () => {
    it.each([
      ['an unknown client', { client_id: 'evil-client' }, ''],
      ['no client_id', { client_id: undefined }, ''],
      ['a client_id with a NUL byte', { client_id: 'web\u0000' }, ''],
      ['a repeated client_id', {}, '&client_id=machine'],
    ])('%s', async (_case, params, extra) => {
      expectErrorPage(await new Browser(server.url).get(query(params, extra)), 'invalid_client');
    });
  });

  describe('open redirect through error paths (RFC 9700 s4.11, CWE-601)', () => {
    it('an unregistered redirect URI with other errors too still gets the page, not a redirect', async () => {
      const response = await new Browser(server.url).get(query({ redirect_uri: 'https://evil.example/cb', response_type: 'token', code_challenge: undefined, prompt: 'none' }));
      expectErrorPage(response, 'invalid_redirect_uri');
    });

    it('the error page never shows the requested redirect URI, even escaped', async () => {
      const response = await new Browser(server.url).get(query({ redirect_uri: 'https://attacker.example/phish' }));
      expect(response.html).not.toContain('attacker.example');
      expect(response.html).not.toMatch(/<a\s/);
    });
  });

  describe('PKCE downgrade and malformed challenges redirect with invalid_request (RFC 7636 s4.4.1, RFC 9700 s2.1.1)', () => {
    it.each([
      ['missing challenge', { code_challenge: undefined, code_challenge_method: undefined }],
      ['plain method', { code_challenge_method: 'plain' }],
      ['no method (RFC 7636 s4.3 would default to plain)', { code_challenge_method: undefined }],
      ['challenge too short', { code_challenge: 'a'.repeat(42) }],
      ['challenge too long', { code_challenge: 'a'.repeat(44) }],
      ['challenge with characters outside base64url', { code_challenge: `${'a'.repeat(42)}+` }],
    ])('%s', async (_case, params) => {
      const result = expectRedirectError(await new Browser(server.url).get(query(params)), 'invalid_request');
      expect(result.get('state')).toBe('xyz');
    });
  });

  describe('protocol violations redirect with their code, state and iss (RFC 6749 s4.1.2.1, OIDC Core s3.1.2.6)', () => {
    it.each([
      ['implicit response type (RFC 9700 s2.1.2)', { response_type: 'token' }, 'unsupported_response_type'],
      ['hybrid response type', { response_type: 'code id_token' }, 'unsupported_response_type'],
      ['no response type', { response_type: undefined }, 'invalid_request'],
      ['fragment response mode', { response_mode: 'fragment' }, 'invalid_request'],
      ['request object', { request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
      ['request_uri', { request_uri: 'https://evil.example/req' }, 'request_uri_not_supported'],
      ['scope beyond the registration', { scope: 'openid admin' }, 'invalid_scope'],
      ['prompt=none with another value', { prompt: 'none login' }, 'invalid_request'],
      ['negative max_age', { max_age: '-1' }, 'invalid_request'],
      ['oversized nonce', { nonce: 'n'.repeat(513) }, 'invalid_request'],
    ])('%s', async (_case, params, error) => {
      const result = expectRedirectError(await new Browser(server.url).get(query(params)), error);
      expect(result.get('state')).toBe('xyz');
    });

    it('a client not registered for the code grant gets unauthorized_client', async () => {
      expectRedirectError(await new Browser(server.url).get(query({ client_id: 'machine', scope: undefined })), 'unauthorized_client');
    });
  });

  describe('parameter pollution (RFC 6749 s3.1: parameters MUST NOT be included more than once; CWE-235)', () => {
    it.each(['scope', 'code_challenge', 'response_type', 'prompt', 'nonce'])('a repeated %s redirects with invalid_request', async (name) => {
      const response = await new Browser(server.url).get(query({}, `&${name}=x&${name}=y`));
      expect(expectRedirectError(response, 'invalid_request').get('state')).toBe('xyz');
    });

    it('a repeated state is not echoed, since neither copy can be trusted', async () => {
      const params = expectRedirectError(await new Browser(server.url).get(query({}, '&state=abc')), 'invalid_request');
      expect(params.get('state')).toBeNull();
    });
  });

  describe('unexpected body types on the browser forms (CWE-20): an HTML 400, not a parser error', () => {
    it.each(['/oauth2/authorize', '/signin', '/signin/consent', '/oauth2/logout', '/oauth2/logout/confirm'])('%s with a multipart or XML body', async (path) => {
      for (const type of ['multipart/form-data; boundary=x', 'application/xml']) {
        const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body: '--x--' });
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toMatch(/^text\/html/);
        expect(response.headers.get('location')).toBeNull();
      }
    });
  });

  describe('session fixation (OWASP ASVS 5.0 V7.2.4, CWE-384)', () => {
    it('a planted, unknown session cookie is ignored and replaced by a new value at sign-in', async () => {
      const email = await newUser();
      const browser = new Browser(server.url);
      browser.cookies.set('auth_session', 'attacker-chosen-value-0123456789abcdefghijklmnopq');
      const login = await browser.get(query({ prompt: 'none' }));
      expectRedirectError(login, 'login_required'); // the planted cookie is no session
      const page = await browser.get(query({}));
      const done = await browser.submit(page, { email, password: PASSWORD });
      expect(done.status).toBe(200); // consent page
      expect(browser.cookies.get('auth_session')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(browser.cookies.get('auth_session')).not.toBe('attacker-chosen-value-0123456789abcdefghijklmnopq');
    });

    it('a session cookie from before the sign-in is not the one after, and the old one no longer works', async () => {
      const email = await newUser();
      const browser = new Browser(server.url);
      await browser.submit(await browser.get(query({})), { email, password: PASSWORD });
      const first = browser.cookies.get('auth_session')!;
      await browser.submit(await browser.get(query({ prompt: 'login' })), { email, password: PASSWORD });
      const second = browser.cookies.get('auth_session')!;
      expect(second).not.toBe(first);
      expect(await server.app.get(SessionService).resolve(first)).toBeUndefined();
      expect(await server.app.get(SessionService).resolve(second)).toBeDefined();
    });

    it('the session cookie is HTTP-only and SameSite=Lax', async () => {
      const email = await newUser();
      const browser = new Browser(server.url);
      const done = await browser.submit(await browser.get(query({})), { email, password: PASSWORD });
      const cookie = done.setCookies.find((c) => c.startsWith('auth_session='));
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
    });
  });

  describe('login CSRF (RFC 6749 s10.12, CWE-352): 403 and no session', () => {
    async function attempt(mutate: (fields: Record<string, string>, victim: Browser) => Promise<void> | void): Promise<{ response: BrowserResponse; victim: Browser }> {
      const email = await newUser();
      const victim = new Browser(server.url);
      const page = await victim.get(query({}));
      const fields = { ...hiddenFields(page.html), email, password: PASSWORD };
      await mutate(fields, victim);
      const response = await victim.post('/signin', fields);
      return { response, victim };
    }

    it.each([
      ['a missing token', (fields: Record<string, string>) => void delete fields['csrf_token']],
      ['a wrong token', (fields: Record<string, string>) => void (fields['csrf_token'] = 'A'.repeat(43))],
      ['no CSRF cookie', (_fields: Record<string, string>, victim: Browser) => void victim.cookies.delete('auth_csrf')],
      [
        "a token from the attacker's own browser",
        async (fields: Record<string, string>) => {
          const attacker = new Browser(server.url);
          fields['csrf_token'] = hiddenFields((await attacker.get(query({}))).html)['csrf_token']!;
        },
      ],
    ])('%s', async (_case, mutate) => {
      const { response, victim } = await attempt(mutate);
      expect(response.status).toBe(403);
      expect(response.html).toContain('<code id="error-code">invalid_csrf_token</code>');
      expect(response.setCookies.some((c) => c.startsWith('auth_session='))).toBe(false);
      expect(victim.cookies.has('auth_session')).toBe(false);
    });

    it('the CSRF cookie is HTTP-only and SameSite=Lax', async () => {
      const page = await new Browser(server.url).get(query({}));
      const cookie = page.setCookies.find((c) => c.startsWith('auth_csrf='));
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
    });
  });

  describe('consent CSRF (RFC 6749 s10.12, CWE-352)', () => {
    it("a consent form posted into the victim's session with the attacker's token is refused, no code", async () => {
      const attacker = new Browser(server.url);
      const attackerConsent = await attacker.submit(await attacker.get(query({})), { email: await newUser(), password: PASSWORD });
      const victim = new Browser(server.url);
      const victimConsent = await victim.submit(await victim.get(query({})), { email: await newUser(), password: PASSWORD });
      expect(victimConsent.status).toBe(200);
      const forged = await victim.post('/signin/consent', { ...hiddenFields(victimConsent.html), csrf_token: hiddenFields(attackerConsent.html)['csrf_token']!, decision: 'allow' });
      expect(forged.status).toBe(403);
      expect(forged.location).toBeUndefined();
    });
  });

  describe('tampering with the request carried through the forms (CWE-472)', () => {
    it('an altered sealed request is refused with a page', async () => {
      const browser = new Browser(server.url);
      const page = await browser.get(query({}));
      const fields = hiddenFields(page.html);
      const [body, mac] = fields['authorization_request']!.split('.');
      const request = JSON.parse(Buffer.from(body!, 'base64url').toString()) as { r: { scope: string[]; redirectUri: string } };
      request.r.scope = ['openid', 'profile', 'admin'];
      request.r.redirectUri = 'https://evil.example/cb';
      const forged = `${Buffer.from(JSON.stringify(request)).toString('base64url')}.${mac}`;
      const response = await browser.post('/signin', { ...fields, authorization_request: forged, email: await newUser(), password: PASSWORD });
      expectErrorPage(response, 'request_expired');
      expect(browser.cookies.has('auth_session')).toBe(false);
    });
  });

  describe('clickjacking and caching (RFC 6749 s10.13, CWE-1021): every page carries the headers', () => {
    function expectPageHeaders(response: BrowserResponse, formTarget?: string): void {
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("base-uri 'none'");
      expect(csp).not.toContain('script-src');
      expect(csp).toContain(formTarget ? `form-action 'self' ${formTarget}` : "form-action 'self'");
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.html).not.toMatch(/<script/i);
    }

    it('login, failed login, consent, error and CSRF pages', async () => {
      const email = await newUser();
      const browser = new Browser(server.url);
      const login = await browser.get(query({}));
      expectPageHeaders(login, 'https://app.example.com');
      const failed = await browser.submit(login, { email, password: 'not the password' });
      expect(failed.status).toBe(401);
      expectPageHeaders(failed, 'https://app.example.com');
      const consent = await browser.submit(login, { email, password: PASSWORD });
      expect(consent.status).toBe(200);
      expectPageHeaders(consent, 'https://app.example.com');
      expectPageHeaders(await browser.get(query({ client_id: 'nope' })));
      const csrf = await new Browser(server.url).post('/signin', { ...hiddenFields(login.html), email, password: PASSWORD });
      expect(csrf.status).toBe(403);
      expectPageHeaders(csrf);
    });
  });

  describe('reflected XSS (CWE-79): request values on pages are escaped', () => {
    const payload = '"><script>alert(1)</script><img src=x onerror=alert(2)>';

    it.each([['state'], ['nonce'], ['login_hint']])('in %s', async (name) => {
      const page = await new Browser(server.url).get(query({ [name]: payload }));
      expect(page.status).toBe(200);
      expect(page.html).not.toContain('<script>');
      expect(page.html).not.toContain('<img');
      expect(page.html).not.toContain(payload);
    });

    it('in the email kept after a failed sign-in', async () => {
      const browser = new Browser(server.url);
      const failed = await browser.submit(await browser.get(query({})), { email: payload, password: 'whatever-it-is' });
      expect(failed.status).toBe(401);
      expect(failed.html).not.toContain('<script>');
      expect(failed.html).toContain('&#34;&#62;&#60;script&#62;');
    });
  });

  describe('credentials in logs and audit rows (CWE-532)', () => {
    it('neither a failed nor a successful sign-in writes the password (or the typed email of a failure) anywhere', async () => {
      const email = await newUser();
      const mistyped = 'typed-into-the-email-field-by-mistake';
      const browser = new Browser(server.url);
      const login = await browser.get(query({}));
      await browser.submit(login, { email: mistyped, password: PASSWORD });
      await browser.submit(login, { email, password: PASSWORD });
      await server.app.get(AuditService).flush();
      const rows = (await server.app.get(DataSource).query("SELECT * FROM audit_events WHERE type LIKE 'auth.login.%'")) as { type: string }[];
      expect(rows.map((r) => r.type)).toEqual(expect.arrayContaining(['auth.login.failed', 'auth.login.succeeded']));
      const text = `${server.logs.text()}\n${JSON.stringify(rows)}`;
      expect(findSecrets(text, [PASSWORD, mistyped, browser.cookies.get('auth_session')!])).toEqual([]);
    });
  });

  describe('online password guessing (OWASP ASVS 5.0 V6.3.1, CWE-307)', () => {
    it('the login preset limits attempts per account across addresses: 429 page with Retry-After, even for the right password', async () => {
      const email = await newUser();
      let last: BrowserResponse | undefined;
      for (let i = 0; i < 10; i++) {
        const browser = new Browser(server.url); // a new address each time: only the per-account limit applies
        last = await browser.submit(await browser.get(query({})), { email, password: `guess-${i}` });
        expect(last.status).toBe(401);
      }
      const browser = new Browser(server.url);
      const blocked = await browser.submit(await browser.get(query({})), { email, password: PASSWORD });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(blocked.headers.get('content-type')).toMatch(/^text\/html/);
      expect(blocked.html).toContain('<code id="error-code">too_many_requests</code>');
      expect(browser.cookies.has('auth_session')).toBe(false);
    });
  });
});
