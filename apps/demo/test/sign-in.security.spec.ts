import { loadConfig } from '@authkit/config';
import { captureLogs, findSecrets } from '@authkit/testing';
import { createDemo } from '../src/server';
import { TestBrowser } from './support/browser';
import { startDemoHarness, type DemoHarness } from './support/demo-harness';

// Attacks on the demo's sign-in (backend for frontend), each naming its source. The issuer
// is oidc-provider; the demo's relying party is openid-client.
describe('demo sign-in attacks', () => {
  let h: DemoHarness;

  beforeAll(async () => {
    h = await startDemoHarness({ redisUrl: process.env['REDIS_URL'], accessTokenTtl: 300 });
  }, 60_000);

  afterAll(() => h?.close());
  afterEach(() => {
    h.clock.offsetMs = 0;
  });

  /** Starts a sign-in and follows it up to (not into) the demo's callback. */
  async function untilCallback(browser = new TestBrowser()): Promise<{ browser: TestBrowser; callback: URL }> {
    const callback = `${h.demoUrl}/auth/callback`;
    const { response, url } = await browser.follow(`${h.demoUrl}/auth/login`, (next) => next.href.startsWith(callback));
    const location = response.headers.get('location');
    if (!location) throw new Error(`the flow stopped at ${url} with ${response.status}: ${await response.text()}`);
    return { browser, callback: new URL(location, url) };
  }

  async function expectSignInFailed(response: Response, browser: TestBrowser): Promise<string> {
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('<h1>Sign-in failed</h1>');
    expect(html).toContain('<a class="button" href="/auth/login">Try again</a>');
    expect(response.headers.getSetCookie().some((c) => c.startsWith('demo_session='))).toBe(false);
    expect(browser.cookie(h.demoUrl, 'demo_session')).toBeUndefined();
    return html;
  }

  // RFC 6749 s10.12 / RFC 9700 s4.7 (CSRF on the redirect URI, login CSRF): a callback
  // must belong to a sign-in this browser started.
  describe('callback CSRF (RFC 6749 s10.12, RFC 9700 s4.7)', () => {
    it('refuses a callback without the login cookie', async () => {
      const { callback } = await untilCallback();
      const stranger = new TestBrowser();
      await expectSignInFailed(await stranger.request(callback.href), stranger);
    });

    it('refuses a callback whose state is not this sign-in\'s, and burns the pending sign-in', async () => {
      const { browser, callback } = await untilCallback();
      const loginCookie = browser.cookie(h.demoUrl, 'demo_login')!;
      const tampered = new URL(callback);
      tampered.searchParams.set('state', 'x'.repeat(43));
      await expectSignInFailed(await browser.request(tampered.href), browser);
      // The pending sign-in is gone even with its cookie restored: the genuine callback fails too.
      browser.setCookie(h.demoUrl, 'demo_login', loginCookie);
      await expectSignInFailed(await browser.request(callback.href), browser);
    });

    it('refuses a callback without state', async () => {
      const { browser, callback } = await untilCallback();
      callback.searchParams.delete('state');
      await expectSignInFailed(await browser.request(callback.href), browser);
    });

    it('refuses a sign-in completed after the 10 minutes a pending sign-in lives', async () => {
      const { browser, callback } = await untilCallback();
      h.clock.offsetMs = 10 * 60_000 + 1_000;
      await expectSignInFailed(await browser.request(callback.href), browser);
    });
  });

  // RFC 6749 s4.1.2: a code is used once; the demo's pending sign-in likewise.
  it('refuses a replayed callback (RFC 6749 s4.1.2, CWE-294)', async () => {
    const { browser, callback } = await untilCallback();
    const loginCookie = browser.cookie(h.demoUrl, 'demo_login')!;
    expect((await browser.request(callback.href)).status).toBe(303);
    const replay = new TestBrowser();
    replay.setCookie(h.demoUrl, 'demo_login', loginCookie);
    await expectSignInFailed(await replay.request(callback.href), replay);
  });

  // RFC 9700 s4.5 (authorization code injection): a stolen code presented in the attacker's
  // own sign-in fails, because the code is bound to the victim's PKCE verifier (RFC 7636).
  it('refuses an injected authorization code from another sign-in (RFC 9700 s4.5)', async () => {
    const { callback: victims } = await untilCallback();
    const { browser: attacker, callback: own } = await untilCallback();
    own.searchParams.set('code', victims.searchParams.get('code')!);
    await expectSignInFailed(await attacker.request(own.href), attacker);
  });

  // RFC 9207 / RFC 9700 s4.4 (mix-up): the authorization response must come from the issuer.
  it('refuses an authorization response with another issuer (RFC 9207)', async () => {
    const { browser, callback } = await untilCallback();
    expect(callback.searchParams.get('iss')).toBe(h.issuer.issuer);
    callback.searchParams.set('iss', 'https://evil.example');
    await expectSignInFailed(await browser.request(callback.href), browser);
  });

  // CWE-79: the provider's error_description is attacker-controllable (it is in the URL).
  it('shows a fixed page for an error response, never the provider text (access_denied, CWE-79)', async () => {
    const { browser, callback } = await untilCallback();
    const denied = new URL(`${h.demoUrl}/auth/callback`);
    denied.searchParams.set('error', 'access_denied');
    denied.searchParams.set('error_description', '<script>alert(1)</script><a href="https://evil.example">help</a>');
    denied.searchParams.set('state', callback.searchParams.get('state')!);
    denied.searchParams.set('iss', h.issuer.issuer);
    const html = await expectSignInFailed(await browser.request(denied.href), browser);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('evil.example');
    expect(html).not.toContain('access_denied');
  });

  // CWE-384 (session fixation): a session id planted before sign-in is never adopted.
  it('issues a fresh session id at sign-in (CWE-384)', async () => {
    const browser = new TestBrowser();
    browser.setCookie(h.demoUrl, 'demo_session', 'planted-by-attacker');
    await browser.follow(`${h.demoUrl}/auth/login`);
    const sessionId = browser.cookie(h.demoUrl, 'demo_session')!;
    expect(sessionId).not.toBe('planted-by-attacker');
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const planted = new TestBrowser();
    planted.setCookie(h.demoUrl, 'demo_session', 'planted-by-attacker');
    expect((await planted.request(`${h.demoUrl}/api/me`)).status).toBe(401);
  });

  // RFC 9700 s4.11 (open redirector) / CWE-601: `return_to` of /auth/login decides where the
  // callback sends the browser. A link to the demo with an attacker's return_to would lend the
  // demo's name to a phishing page right after a genuine sign-in. Only the fixed list (just
  // /security) is taken, compared whole; anything else signs in as usual and lands on /.
  describe('open redirector through return_to (RFC 9700 s4.11, CWE-601)', () => {
    /** Values of return_to, as the attacker means them (the test encodes them for the URL). */
    const ATTACKS = [
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      '%2F%2Fevil.example', // literally, i.e. sent double-encoded: %252F%252Fevil.example
      '/security/../x',
      'javascript:alert(1)',
      'https://evil.example/security',
      '//evil.example/security',
      '/\\/evil.example',
      '\\\\evil.example',
      '/%2F/evil.example',
      '///evil.example',
      ' /security',
      '\t//evil.example',
      '/security\r\nLocation: https://evil.example',
      '/security/',
      '/Security',
      '/security?next=https://evil.example',
      '/security#@evil.example',
      '/security/..',
      '/./security',
      'data:text/html,<script>alert(1)</script>',
      'http:evil.example',
      'HTTPS://EVIL.EXAMPLE',
      '',
    ];
    /** Queries as sent on the wire, for the encodings a URL builder would not produce. */
    const RAW_QUERIES = [
      'return_to=%2F%2Fevil.example',
      'return_to=/%5Cevil.example',
      'return_to=%2F%5Cevil.example',
      'return_to=%2Fsecurity%2F..%2Fx',
      'return_to=%252Fsecurity',
      'return_to=%2Fsecurity%00',
      'return_to=/security%0d%0aSet-Cookie:%20demo_session=x',
      'return_to=%E2%81%84%E2%81%84evil.example', // U+2044 fraction slashes
      'return_to=%EF%BC%8F%EF%BC%8Fevil.example', // U+FF0F fullwidth solidi
      'return_to=/security&return_to=//evil.example',
      'return_to=//evil.example&return_to=/security',
      'return_to[]=/security',
      'returnTo=//evil.example&redirect_uri=https://evil.example&next=//evil.example',
    ];

    /** Signs a fresh browser in from `/auth/login?<query>`: where the callback sends it, and the page it ends on. */
    async function signInFrom(query: string): Promise<{ location: string | null; landed: string; browser: TestBrowser }> {
      const browser = new TestBrowser();
      const callback = `${h.demoUrl}/auth/callback`;
      const start = await browser.request(`${h.demoUrl}/auth/login?${query}`);
      expect(start.status).toBe(302);
      // The authorization request carries nothing of return_to: it stays in the pending sign-in.
      const authorization = new URL(start.headers.get('location')!);
      expect([...authorization.searchParams.keys()].filter((name) => name !== 'prompt').sort()).toEqual(
        ['client_id', 'code_challenge', 'code_challenge_method', 'nonce', 'redirect_uri', 'response_type', 'scope', 'state'],
      );
      expect(authorization.searchParams.get('redirect_uri')).toBe(callback);
      const { response, url } = await browser.follow(start.headers.get('location')!, (next) => next.href.startsWith(callback));
      const callbackUrl = new URL(response.headers.get('location')!, url);
      // Bounded: a Location with CR LF must fail the test, not leave the request hanging.
      const done = await browser.request(callbackUrl.href, { signal: AbortSignal.timeout(4_000) });
      expect(done.status).toBe(303);
      expect(browser.cookie(h.demoUrl, 'demo_session')).toBeDefined();
      const location = done.headers.get('location');
      // Followed only on the demo: a broken check must fail here, not wait for evil.example.
      const next = new URL(location ?? '/', h.demoUrl);
      const landed = next.origin === h.demoUrl ? (await browser.follow(next.href)).url : next.href;
      return { location, landed, browser };
    }

    it.each(ATTACKS.flatMap((attack) => [
      [attack, 'reauth=1&'],
      [attack, ''],
    ]))('ignores return_to=%j (%sreturn_to): the sign-in completes and lands on /', async (attack, prefix) => {
      const { location, landed } = await signInFrom(`${prefix}${new URLSearchParams({ return_to: attack }).toString()}`);
      expect(location).toBe('/');
      expect(landed).toBe(`${h.demoUrl}/`);
    });

    it.each(RAW_QUERIES)('ignores the raw query %s: lands on /', async (query) => {
      const { location, landed } = await signInFrom(`reauth=1&${query}`);
      expect(location).toBe('/');
      expect(landed).toBe(`${h.demoUrl}/`);
    });

    it('takes /security, the one listed path (control)', async () => {
      const { location, landed } = await signInFrom('reauth=1&return_to=%2Fsecurity');
      expect(location).toBe('/security');
      expect(landed).toBe(`${h.demoUrl}/security`);
    });

    // The return path is read from the demo's store at the callback, not from the callback's URL.
    it('ignores a return_to added to the callback URL', async () => {
      const browser = new TestBrowser();
      const callback = `${h.demoUrl}/auth/callback`;
      const { response, url } = await browser.follow(`${h.demoUrl}/auth/login?return_to=%2Fsecurity`, (next) => next.href.startsWith(callback));
      const callbackUrl = new URL(response.headers.get('location')!, url);
      callbackUrl.searchParams.set('return_to', 'https://evil.example');
      const done = await browser.request(callbackUrl.href);
      expect(done.status).toBe(303);
      expect(done.headers.get('location')).toBe('/security');
    });
  });

  // RFC 6750 s2: "Clients MUST NOT use more than one method to transmit the token".
  it('refuses a Bearer header together with the session cookie (RFC 6750 s2)', async () => {
    const browser = await h.signIn();
    const response = await browser.request(`${h.demoUrl}/api/me`, { headers: { authorization: 'Bearer abc.def.ghi' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_request"/);
  });

  // CSRF (OWASP CSRF cheat sheet, CWE-352) on sign-out: a cross-site form could end the
  // user's session; the form token and the Origin check stop it.
  describe('sign-out CSRF (CWE-352)', () => {
    async function signedInWithToken(): Promise<{ browser: TestBrowser; csrf: string }> {
      const browser = await h.signIn();
      const html = await (await browser.request(`${h.demoUrl}/`)).text();
      return { browser, csrf: /name="csrf" value="([^"]+)"/.exec(html)![1]! };
    }

    const logout = (browser: TestBrowser, headers: Record<string, string>, csrf?: string) =>
      browser.request(`${h.demoUrl}/auth/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: csrf === undefined ? '' : new URLSearchParams({ csrf }).toString(),
      });

    it.each([
      ['without the form token', { origin: 'own' }, 'none'],
      ['with another session\'s form token', { origin: 'own' }, 'forged'],
      ['from a foreign Origin', { origin: 'https://evil.example' }, 'genuine'],
      ['from the opaque Origin null', { origin: 'null' }, 'genuine'],
      ['without an Origin', {}, 'genuine'],
    ] as const)('refuses sign-out %s and keeps the session', async (_label, request, token) => {
      const { browser, csrf } = await signedInWithToken();
      const from = h.issuer.events.length;
      const headers: Record<string, string> = 'origin' in request ? { origin: request.origin === 'own' ? h.demoUrl : request.origin } : {};
      const sent = token === 'genuine' ? csrf : token === 'forged' ? 'A'.repeat(43) : undefined;
      const response = await logout(browser, headers, sent);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('Sign-out refused');
      expect((await browser.request(`${h.demoUrl}/api/me`)).status).toBe(200);
      expect(h.issuer.events.slice(from).some((e) => e.event === 'refresh_token.destroyed')).toBe(false);
    });

    it('accepts the genuine form (control)', async () => {
      const { browser, csrf } = await signedInWithToken();
      expect((await logout(browser, { origin: h.demoUrl }, csrf)).status).toBe(303);
      expect((await browser.request(`${h.demoUrl}/api/me`)).status).toBe(401);
    });
  });

  // OWASP ASVS 5.0 V7.3.1 / V7.3.2: idle timeout and absolute lifetime.
  describe('session timeouts (OWASP ASVS 5.0 V7.3)', () => {
    it('ends a session idle for 30 minutes', async () => {
      const browser = await h.signIn();
      h.clock.offsetMs = 30 * 60_000 + 1_000;
      expect((await browser.request(`${h.demoUrl}/api/me`)).status).toBe(401);
      h.clock.offsetMs = 0;
      expect((await browser.request(`${h.demoUrl}/api/me`)).status).toBe(401);
    });

    it('ends an active session after 12 hours', async () => {
      const browser = await h.signIn();
      for (let minutes = 20; minutes < 12 * 60; minutes += 20) {
        h.clock.offsetMs = minutes * 60_000;
        expect(await (await browser.request(`${h.demoUrl}/`)).text()).toContain('Sign out');
      }
      h.clock.offsetMs = 12 * 3_600_000;
      expect(await (await browser.request(`${h.demoUrl}/`)).text()).toContain('Sign in</a>');
    });
  });

  it('leaves no token, code or secret in the logs (CWE-532)', () => {
    expect(findSecrets(h.logs.text())).toEqual([]);
    for (const event of h.issuer.events) if (event.refresh_token) expect(h.logs.text()).not.toContain(event.refresh_token);
  });
});

// OWASP ASVS 5.0 V7.3.1 / V7.3.2 with an operator's own timeouts: the demo reads the same
// SESSION_IDLE_TTL / SESSION_ABSOLUTE_TTL as auth-server.
describe('demo session timeouts from SESSION_IDLE_TTL and SESSION_ABSOLUTE_TTL', () => {
  let h: DemoHarness;
  beforeAll(async () => {
    h = await startDemoHarness({ env: { SESSION_IDLE_TTL: '120', SESSION_ABSOLUTE_TTL: '600' } });
  });
  afterAll(() => h?.close());
  afterEach(() => {
    h.clock.offsetMs = 0;
  });

  it('sets the session cookie to live the absolute timeout', async () => {
    const browser = await h.signIn();
    const set = browser.setCookies.filter((c) => c.origin === h.demoUrl && c.header.startsWith('demo_session=') && !/max-age=0\b/i.test(c.header));
    expect(set.at(-1)?.header).toMatch(/;\s*Max-Age=600(;|$)/i);
  });

  it('ends a session idle past SESSION_IDLE_TTL, not before', async () => {
    const browser = await h.signIn();
    h.clock.offsetMs = 110_000;
    expect((await browser.request(`${h.demoUrl}/api/me`)).status).toBe(200);
    h.clock.offsetMs = 110_000 + 121_000;
    expect((await browser.request(`${h.demoUrl}/api/me`)).status).toBe(401);
  });

  it('ends an active session at SESSION_ABSOLUTE_TTL', async () => {
    const browser = await h.signIn();
    for (let seconds = 100; seconds < 600; seconds += 100) {
      h.clock.offsetMs = seconds * 1000;
      expect(await (await browser.request(`${h.demoUrl}/`)).text()).toContain('Sign out');
    }
    h.clock.offsetMs = 600_000;
    expect(await (await browser.request(`${h.demoUrl}/`)).text()).toContain('Sign in</a>');
  });
});

describe('demo session with an idle timeout under a minute', () => {
  it('keeps an active session alive (its last use is recorded at least every half idle timeout)', async () => {
    const h = await startDemoHarness({ env: { SESSION_IDLE_TTL: '40' } });
    try {
      const browser = await h.signIn();
      for (let seconds = 30; seconds <= 180; seconds += 30) {
        h.clock.offsetMs = seconds * 1000;
        expect((await browser.request(`${h.demoUrl}/api/me`)).status).toBe(200);
      }
      h.clock.offsetMs = 180_000 + 41_000;
      expect((await browser.request(`${h.demoUrl}/api/me`)).status).toBe(401);
    } finally {
      await h.close();
    }
  });
});

// CWE-636 / availability: an unreachable issuer must neither crash the demo nor end
// sign-out badly.
describe('demo sign-in with auth-server unreachable', () => {
  it('boots, serves /, and answers /auth/login with a 503 page', async () => {
    const logs = captureLogs();
    const app = await createDemo(loadConfig({ NODE_ENV: 'test', AUTH_ISSUER: 'http://127.0.0.1:9', DEMO_CLIENT_SECRET: 'x'.repeat(32) }), logs.stream);
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
      expect((await fetch(`${url}/`)).status).toBe(200);
      const login = await fetch(`${url}/auth/login`, { redirect: 'manual' });
      expect(login.status).toBe(503);
      expect(await login.text()).toContain('Try again');
    } finally {
      await app.close();
    }
  });

  it('still ends the local session when revocation fails, with a warning naming no token', async () => {
    const h = await startDemoHarness();
    try {
      const before = h.issuer.events.length;
      const browser = await h.signIn();
      const { refresh_token: refreshToken } = h.issuer.events.slice(before).find((e) => e.grant_type === 'authorization_code')!;
      const csrf = /name="csrf" value="([^"]+)"/.exec(await (await browser.request(`${h.demoUrl}/`)).text())![1]!;
      await h.issuer.stop();
      const response = await browser.request(`${h.demoUrl}/auth/logout`, {
        method: 'POST',
        headers: { origin: h.demoUrl, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf }).toString(),
      });
      expect(response.status).toBe(303);
      // auth-server is unreachable: no detour to its end-session endpoint, back to the demo's home.
      expect(response.headers.get('location')).toBe('/');
      expect(browser.cookie(h.demoUrl, 'demo_session')).toBeUndefined();
      expect(h.logs.text()).toMatch(/refresh token revocation failed/);
      expect(h.logs.text()).not.toContain(refreshToken!);
      expect(findSecrets(h.logs.text())).toEqual([]);
    } finally {
      await h.close();
    }
  }, 60_000);
});
