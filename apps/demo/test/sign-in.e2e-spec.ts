import { createHash } from 'node:crypto';
import { findSecrets } from '@authkit/testing';
import { SessionStore } from '../src/app/session/session-store.interface';
import { SessionService } from '../src/app/session/session.service';
import { TestBrowser } from './support/browser';
import { startDemoHarness, type DemoHarness } from './support/demo-harness';

// The demo as a backend for frontend of an OpenID Provider: oidc-provider (panva's certified
// OP) plays auth-server, openid-client inside the demo is the relying party, and libs/auth
// guards /api/* with the session cookie. Runs on the in-process session store, and on Redis
// too when REDIS_URL is set.
const STORES: [string, string | undefined][] = [['in-process', undefined]];
if (process.env['REDIS_URL']) STORES.push(['redis', process.env['REDIS_URL']]);

describe.each(STORES)('demo sign-in (session store: %s)', (_store, redisUrl) => {
  let h: DemoHarness;

  beforeAll(async () => {
    h = await startDemoHarness({ redisUrl, accessTokenTtl: 300 });
  }, 60_000);

  afterAll(() => h?.close());
  afterEach(() => {
    h.clock.offsetMs = 0;
  });

  const refreshGrants = (from: number) => h.issuer.events.slice(from).filter((e) => e.event === 'grant.success' && e.grant_type === 'refresh_token');

  it('starts authorization code + PKCE S256 with state and nonce, from a login cookie that is HttpOnly and SameSite=Lax', async () => {
    const browser = new TestBrowser();
    const response = await browser.request(`${h.demoUrl}/auth/login`);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin).toBe(h.issuer.issuer);
    const params = location.searchParams;
    expect(params.get('response_type')).toBe('code');
    expect(params.get('client_id')).toBe('demo-web');
    expect(params.get('redirect_uri')).toBe(`${h.demoUrl}/auth/callback`);
    expect(params.get('scope')).toBe('openid profile email offline_access demo:read');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')!.length).toBeGreaterThanOrEqual(22);
    expect(params.get('nonce')!.length).toBeGreaterThanOrEqual(22);
    expect(params.has('prompt')).toBe(false); // auth-server's own session may answer at once
    const login = browser.setCookies.find((c) => c.header.startsWith('demo_login='))!.header;
    expect(login).toMatch(/; HttpOnly/);
    expect(login).toMatch(/; SameSite=Lax/);
    expect(login).toMatch(/; Path=\//);
    // A second sign-in gets fresh secrets.
    const again = new URL((await new TestBrowser().request(`${h.demoUrl}/auth/login`)).headers.get('location')!).searchParams;
    expect(again.get('state')).not.toBe(params.get('state'));
    expect(again.get('code_challenge')).not.toBe(params.get('code_challenge'));
  });

  it('signs in: session cookie HttpOnly SameSite=Lax, 303 to /, the page shows the user and no token', async () => {
    const before = h.issuer.events.length;
    const browser = new TestBrowser();
    const { response: callbackRedirect, url } = await browser.follow(`${h.demoUrl}/auth/login`, (next) => next.href === `${h.demoUrl}/`);
    expect(new URL(url).pathname).toBe('/auth/callback');
    expect(callbackRedirect.status).toBe(303);
    const session = browser.setCookies.find((c) => c.header.startsWith('demo_session='))!.header;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).toMatch(/; Path=\//);
    expect(session).not.toMatch(/; Secure/); // plain http in this test; https adds Secure and __Host-
    expect(browser.cookie(h.demoUrl, 'demo_login')).toBeUndefined();
    const home = await browser.request(`${h.demoUrl}/`);
    const html = await home.text();
    expect(html).toContain('alice@example.com');
    expect(html).toContain('<a href="/api/me">');
    expect(html).toContain('<a href="/api/reports">');
    expect(html).toMatch(/<form method="post" action="\/auth\/logout">[\s\S]*<button type="submit">Sign out<\/button>/);
    expect(html).not.toContain('href="/auth/login"');
    expect(html).not.toMatch(/<script/i);
    const issued = h.issuer.events.slice(before).find((e) => e.event === 'grant.success' && e.grant_type === 'authorization_code')!;
    expect(issued.refresh_token).toBeDefined();
    expect(html).not.toContain(issued.refresh_token);
    expect(html).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\./); // no JWT (access or ID token)
    expect(findSecrets(h.logs.text())).toEqual([]);
  });

  it('asks auth-server for a new sign-in (prompt=login) with reauth=1, and only then', async () => {
    const promptOf = async (query: string) =>
      new URL((await new TestBrowser().request(`${h.demoUrl}/auth/login${query}`)).headers.get('location')!).searchParams.getAll('prompt');
    expect(await promptOf('?reauth=1')).toEqual(['login']);
    expect(await promptOf('?reauth=1&return_to=%2Fsecurity')).toEqual(['login']);
    // Only the exact value, once; the demo's own query is never passed on to auth-server.
    for (const query of ['', '?reauth=0', '?reauth=true', '?reauth=', '?reauth=1&reauth=1', '?prompt=none', '?prompt=login', '?return_to=%2Fsecurity']) {
      expect(await promptOf(query)).toEqual([]);
    }
  });

  it('goes back to /security after a sign-in started with return_to=/security, and to / without', async () => {
    const browser = new TestBrowser();
    const { response, url } = await browser.follow(`${h.demoUrl}/auth/login?reauth=1&return_to=%2Fsecurity`, (next) => next.origin === h.demoUrl && next.pathname !== '/auth/callback');
    expect(new URL(url).pathname).toBe('/auth/callback');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/security');
    expect(browser.cookie(h.demoUrl, 'demo_session')).toBeDefined();
    // Unencoded, as a person might type it.
    const typed = new TestBrowser();
    expect((await typed.follow(`${h.demoUrl}/auth/login?return_to=/security`)).url).toBe(`${h.demoUrl}/security`);
    // The return path belongs to that one sign-in: the next goes to / again.
    expect((await typed.follow(`${h.demoUrl}/auth/login`)).url).toBe(`${h.demoUrl}/`);
  });

  it('ends the browser\'s previous session when a new sign-in completes: gone here, its refresh token revoked at the issuer', async () => {
    const before = h.issuer.events.length;
    const browser = await h.signIn();
    const { refresh_token: oldRefreshToken } = h.issuer.events.slice(before).find((e) => e.grant_type === 'authorization_code')!;
    const oldSession = browser.cookie(h.demoUrl, 'demo_session')!;
    const from = h.issuer.events.length;
    const { response, url } = await browser.follow(`${h.demoUrl}/auth/login`);
    expect(response.status).toBe(200);
    expect(url).toBe(`${h.demoUrl}/`);
    const newSession = browser.cookie(h.demoUrl, 'demo_session')!;
    expect(newSession).not.toBe(oldSession);
    await h.issuer.waitFor((e) => e.event === 'refresh_token.destroyed', from);
    const reuse = await fetch(`${h.issuer.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: oldRefreshToken!, client_id: h.issuer.clientId, client_secret: h.issuer.clientSecret }).toString(),
    });
    expect(((await reuse.json()) as { error?: string }).error).toBe('invalid_grant');
    expect((await fetch(`${h.demoUrl}/api/me`, { headers: { cookie: `demo_session=${oldSession}` } })).status).toBe(401);
    // The new session keeps its own grant: it serves the API and refreshes.
    expect((await browser.request(`${h.demoUrl}/api/me`)).status).toBe(200);
    h.clock.offsetMs = 290_000;
    expect((await browser.request(`${h.demoUrl}/api/me`)).status).toBe(200);
    expect(refreshGrants(from)).toHaveLength(1);
    expect(findSecrets(h.logs.text(), [oldRefreshToken!])).toEqual([]);
  });

  it('keeps the previous session when the new sign-in fails', async () => {
    const browser = await h.signIn();
    const oldSession = browser.cookie(h.demoUrl, 'demo_session')!;
    const callback = `${h.demoUrl}/auth/callback`;
    const { response, url } = await browser.follow(`${h.demoUrl}/auth/login`, (next) => next.href.startsWith(callback));
    const denied = new URL(response.headers.get('location')!, url);
    denied.searchParams.delete('code');
    denied.searchParams.set('error', 'access_denied');
    expect((await browser.request(denied.href)).status).toBe(400);
    expect(browser.cookie(h.demoUrl, 'demo_session')).toBe(oldSession);
    expect((await browser.request(`${h.demoUrl}/api/me`)).status).toBe(200);
  });

  it('shows Sign in when signed out', async () => {
    const html = await (await fetch(`${h.demoUrl}/`)).text();
    expect(html).toContain('<a class="button" href="/auth/login">Sign in</a>');
    expect(html).not.toContain('Sign out');
  });

  it('serves /api/me and /api/reports with the session cookie (libs/auth resolver)', async () => {
    const browser = await h.signIn();
    const me = await browser.request(`${h.demoUrl}/api/me`);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: 'alice', client_id: 'demo-web', scope: 'demo:read' });
    expect((await browser.request(`${h.demoUrl}/api/reports`)).status).toBe(200);
    expect((await browser.request(`${h.demoUrl}/api/admin/stats`)).status).toBe(403);
  });

  it('serves /api/me with a Bearer access token and refuses a token plus the cookie (RFC 6750 s2)', async () => {
    const browser = await h.signIn();
    const sessionId = browser.cookie(h.demoUrl, 'demo_session')!;
    const accessToken = (await h.demo.get(SessionService).accessTokenFor(sessionId))!;
    const bearer = await fetch(`${h.demoUrl}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(bearer.status).toBe(200);
    expect(await bearer.json()).toMatchObject({ sub: 'alice' });
    const both = await browser.request(`${h.demoUrl}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(both.status).toBe(400);
    expect(both.headers.get('www-authenticate')).toMatch(/error="invalid_request"/);
    const none = await fetch(`${h.demoUrl}/api/me`);
    expect(none.status).toBe(401);
  });

  it('refreshes an access token about to expire and stores the rotated refresh token', async () => {
    const browser = await h.signIn();
    const from = h.issuer.events.length;
    h.clock.offsetMs = 290_000; // 10 s of the 300 s token left: inside the 30 s margin
    expect((await browser.request(`${h.demoUrl}/api/me`)).status).toBe(200);
    expect(refreshGrants(from)).toHaveLength(1);
    // The next refresh must present the rotated token: a reused one would make the issuer
    // revoke the grant (RFC 9700 s4.14.2) and the call would fail.
    h.clock.offsetMs = 580_000;
    expect((await browser.request(`${h.demoUrl}/api/me`)).status).toBe(200);
    expect(refreshGrants(from)).toHaveLength(2);
    expect(h.issuer.events.slice(from).filter((e) => e.event === 'grant.revoked')).toEqual([]);
    expect(h.issuer.events.slice(from).filter((e) => e.event === 'grant.error')).toEqual([]);
  });

  it('refreshes once for concurrent requests of one session (single flight)', async () => {
    const browser = await h.signIn();
    const from = h.issuer.events.length;
    h.clock.offsetMs = 290_000;
    const statuses = await Promise.all(Array.from({ length: 6 }, () => browser.request(`${h.demoUrl}/api/me`).then((r) => r.status)));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect(refreshGrants(from)).toHaveLength(1);
    expect(h.issuer.events.slice(from).filter((e) => e.event === 'grant.revoked')).toEqual([]);
  });

  (redisUrl ? it : it.skip)('refreshes once when two demo instances sharing Redis serve one session at once', async () => {
    const peerUrl = await h.startPeer();
    const browser = await h.signIn();
    const cookie = `demo_session=${browser.cookie(h.demoUrl, 'demo_session')}`;
    const from = h.issuer.events.length;
    h.clock.offsetMs = 290_000;
    const statuses = await Promise.all(
      [h.demoUrl, peerUrl, h.demoUrl, peerUrl].map((base) => fetch(`${base}/api/me`, { headers: { cookie } }).then((r) => r.status)),
    );
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(refreshGrants(from)).toHaveLength(1);
    expect(h.issuer.events.slice(from).filter((e) => e.event === 'grant.revoked')).toEqual([]);
  });

  it('ends the session when the refresh token is dead (invalid_grant)', async () => {
    const before = h.issuer.events.length;
    const browser = await h.signIn();
    const { refresh_token: refreshToken } = h.issuer.events.slice(before).find((e) => e.grant_type === 'authorization_code')!;
    const revoked = await fetch(`${h.issuer.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken!, client_id: h.issuer.clientId, client_secret: h.issuer.clientSecret }).toString(),
    });
    expect(revoked.status).toBe(200);
    h.clock.offsetMs = 290_000;
    const me = await browser.request(`${h.demoUrl}/api/me`);
    expect(me.status).toBe(401);
    const html = await (await browser.request(`${h.demoUrl}/`)).text();
    expect(html).toContain('href="/auth/login">Sign in</a>');
  });

  it('signs out: CSRF token and own Origin, revokes the refresh token at the issuer, clears the cookie, goes on to the end-session endpoint', async () => {
    const before = h.issuer.events.length;
    const browser = await h.signIn();
    const { refresh_token: refreshToken } = h.issuer.events.slice(before).find((e) => e.grant_type === 'authorization_code')!;
    const html = await (await browser.request(`${h.demoUrl}/`)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const from = h.issuer.events.length;
    const response = await browser.request(`${h.demoUrl}/auth/logout`, {
      method: 'POST',
      headers: { origin: h.demoUrl, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf }).toString(),
    });
    expect(response.status).toBe(303);
    // OpenID Connect RP-Initiated Logout 1.0 s2: on to the OP's end_session_endpoint (discovery).
    const endSession = new URL(response.headers.get('location')!);
    const metadata = (await (await fetch(`${h.issuer.issuer}/.well-known/openid-configuration`)).json()) as { end_session_endpoint: string };
    expect(`${endSession.origin}${endSession.pathname}`).toBe(metadata.end_session_endpoint);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${h.demoUrl}/`);
    expect(endSession.searchParams.get('client_id')).toBe('demo-web');
    const [, payload] = endSession.searchParams.get('id_token_hint')!.split('.');
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toMatchObject({ iss: h.issuer.issuer, sub: 'alice', aud: 'demo-web' });
    // The OP accepts it (a bad hint or an unregistered URI would be a 400 there).
    expect((await fetch(endSession, { redirect: 'manual' })).status).toBe(200);
    expect(response.headers.getSetCookie().find((c) => c.startsWith('demo_session='))).toMatch(/Max-Age=0/);
    await h.issuer.waitFor((e) => e.event === 'refresh_token.destroyed', from);
    // The issuer no longer honours the refresh token.
    const reuse = await fetch(`${h.issuer.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken!, client_id: h.issuer.clientId, client_secret: h.issuer.clientSecret }).toString(),
    });
    expect(reuse.status).toBe(400);
    expect(((await reuse.json()) as { error: string }).error).toBe('invalid_grant');
    expect(browser.cookie(h.demoUrl, 'demo_session')).toBeUndefined();
    expect(await (await browser.request(`${h.demoUrl}/`)).text()).toContain('Sign in</a>');
    expect(findSecrets(h.logs.text())).toEqual([]);
  });

  it('keys the session store by a hash of the session id, not the cookie value', async () => {
    const browser = await h.signIn();
    const sessionId = browser.cookie(h.demoUrl, 'demo_session')!;
    const store = h.demo.get<SessionStore>(SessionStore);
    expect(await store.get(`session:${sessionId}`)).toBeUndefined();
    expect(await store.get(`session:${createHash('sha256').update(sessionId).digest('base64url')}`)).toBeDefined();
  });
});
