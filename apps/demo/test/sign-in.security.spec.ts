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
