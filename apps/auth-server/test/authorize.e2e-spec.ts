import { describeEachDatabase } from '@authkit/testing';
import { AuthorizationClock } from '../src/app/authorize/authorization-clock';
import { AuthorizationCodeService } from '../src/app/authorize/authorization-code.service';
import { ClientService } from '../src/app/clients/client.service';
import { UserService } from '../src/app/users/user.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';
import { Browser, hiddenFields, pkcePair, type BrowserResponse } from './sign-in.browser';

// The authorization endpoint and its pages, driven over plain HTTP as a browser would:
// GET /oauth2/authorize, the login form, the consent form, the redirect with the code.

const ACTOR = { type: 'system', id: 'test' } as const;
const PASSWORD = 'correct horse battery staple';
const CALLBACK = 'https://app.example.com/callback';
const STATE = 'st ate/with?odd=chars&é'; // echoed exactly, whatever it holds (RFC 6749 s4.1.2)

describeEachDatabase('authorization endpoint and sign-in pages', (database) => {
  let server: RunningAuthServer;
  let aliceId: string;

  beforeAll(async () => {
    server = await startAuthServer(database(), { TRUST_PROXY: '127.0.0.1' });
    const clients = server.app.get(ClientService);
    const code = { grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' as const };
    await clients.create({ ...code, client_id: 'web', client_name: 'Example Web', redirect_uris: [CALLBACK], scope: 'openid profile email demo:read' }, ACTOR);
    await clients.create({ ...code, client_id: 'first-party', redirect_uris: [CALLBACK], scope: 'openid demo:read', skip_consent: true }, ACTOR);
    await clients.create({ ...code, client_id: 'with-query', redirect_uris: ['https://q.example.com/cb?tenant=7'], scope: 'openid' }, ACTOR);
    aliceId = (await server.app.get(UserService).create({ email: 'alice@example.com', password: PASSWORD }, ACTOR)).id;
    await server.app.get(UserService).create({ email: 'bob@example.com', password: PASSWORD }, ACTOR);
  });
  afterAll(() => server?.close());
  afterEach(() => jest.restoreAllMocks());

  function authorizeUrl(params: Record<string, string>): { url: string; verifier: string } {
    const { verifier, challenge } = pkcePair();
    const query = new URLSearchParams({ response_type: 'code', client_id: 'web', redirect_uri: CALLBACK, scope: 'openid profile', state: STATE, code_challenge: challenge, code_challenge_method: 'S256', ...params });
    return { url: `/oauth2/authorize?${query}`, verifier };
  }

  function responseParams(response: BrowserResponse, redirectUri = CALLBACK): URLSearchParams {
    expect(response.location).toBeDefined();
    expect(response.location!.startsWith(`${redirectUri}?`)).toBe(true);
    return new URL(response.location!).searchParams;
  }

  async function signIn(browser: Browser, page: BrowserResponse, email = 'alice@example.com'): Promise<BrowserResponse> {
    expect(page.status).toBe(200);
    expect(page.html).toContain('<label for="email">Email</label>');
    return browser.submit(page, { email, password: PASSWORD });
  }

  /** A new user: the login preset allows 10 attempts per account per 15 minutes, so tests do not share one. */
  let users = 0;
  async function newUser(): Promise<string> {
    const email = `user${++users}@example.com`;
    await server.app.get(UserService).create({ email, password: PASSWORD }, ACTOR);
    return email;
  }

  /** A browser signed in (as a new user unless `email` is given) with `web`'s consent remembered. */
  async function signedInBrowser(email?: string): Promise<Browser> {
    email ??= await newUser();
    const browser = new Browser(server.url);
    const consent = await signIn(browser, await browser.get(authorizeUrl({}).url), email);
    const done = consent.status === 200 ? await browser.submit(consent, { decision: 'allow' }) : consent;
    expect(done.status).toBe(303);
    return browser;
  }

  it('runs the whole flow: login page, sign-in, consent, Allow, code with exact state and iss, redeemable once', async () => {
    const browser = new Browser(server.url);
    const { url, verifier } = authorizeUrl({ nonce: 'n-0S6_WzA2Mj' });
    const login = await browser.get(url);
    expect(login.status).toBe(200);
    expect(login.headers.get('content-type')).toMatch(/^text\/html/);
    expect(login.html).toContain('<label for="password">Password</label>');
    expect(login.html).toMatch(/<button type="submit">Sign in<\/button>/);
    expect(login.html).toContain('Example Web');

    const consent = await signIn(browser, login);
    expect(consent.status).toBe(200);
    expect(consent.html).toMatch(/>Allow<\/button>/);
    expect(consent.html).toMatch(/>Deny<\/button>/);
    expect(consent.html).toContain('See your basic profile');
    expect(browser.cookies.get('auth_session')).toBeDefined();

    const done = await browser.submit(consent, { decision: 'allow' });
    expect(done.status).toBe(303);
    const params = responseParams(done);
    expect(params.get('state')).toBe(STATE);
    expect(params.get('iss')).toBe(server.config.issuer);
    const code = params.get('code')!;

    const codes = server.app.get(AuthorizationCodeService);
    const redeemed = await codes.redeem(code, 'web', CALLBACK, verifier);
    expect(redeemed.grant).toMatchObject({ userId: aliceId, scope: ['openid', 'profile'], nonce: 'n-0S6_WzA2Mj', amr: ['pwd'] });
    expect(Math.abs(redeemed.grant.authTime - Date.now() / 1000)).toBeLessThan(60);
    await expect(codes.redeem(code, 'web', CALLBACK, verifier)).rejects.toMatchObject({ code: 'invalid_grant' });
  });

  it('skips the consent page for a skip_consent client', async () => {
    const browser = new Browser(server.url);
    const { url, verifier } = authorizeUrl({ client_id: 'first-party', scope: 'openid demo:read' });
    const done = await signIn(browser, await browser.get(url));
    expect(done.status).toBe(303);
    const code = responseParams(done).get('code')!;
    await expect(server.app.get(AuthorizationCodeService).redeem(code, 'first-party', CALLBACK, verifier)).resolves.toMatchObject({ grant: { scope: ['openid', 'demo:read'] } });
  });

  it('remembers consent: the second authorization with a session redirects straight away (302)', async () => {
    const browser = await signedInBrowser();
    const again = await browser.get(authorizeUrl({}).url);
    expect(again.status).toBe(302);
    expect(responseParams(again).get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // A scope not yet granted asks again.
    const more = await browser.get(authorizeUrl({ scope: 'openid email' }).url);
    expect(more.status).toBe(200);
    expect(more.html).toMatch(/>Allow<\/button>/);
  });

  it('prompt=none without a session redirects with login_required, state and iss', async () => {
    const response = await new Browser(server.url).get(authorizeUrl({ prompt: 'none' }).url);
    expect(response.status).toBe(302);
    const params = responseParams(response);
    expect(params.get('error')).toBe('login_required');
    expect(params.get('state')).toBe(STATE);
    expect(params.get('iss')).toBe(server.config.issuer);
    expect(params.get('code')).toBeNull();
  });

  it('prompt=none with a session and remembered consent issues a code without a page', async () => {
    const browser = await signedInBrowser();
    const response = await browser.get(authorizeUrl({ prompt: 'none' }).url);
    expect(response.status).toBe(302);
    expect(responseParams(response).get('code')).toBeTruthy();
  });

  it('prompt=none with a session but no consent for the scope redirects with consent_required', async () => {
    const browser = await signedInBrowser();
    const response = await browser.get(authorizeUrl({ prompt: 'none', scope: 'openid demo:read' }).url);
    expect(responseParams(response).get('error')).toBe('consent_required');
  });

  it('prompt=login shows the login page despite a session, and the sign-in then completes without looping', async () => {
    const browser = await signedInBrowser();
    const before = browser.cookies.get('auth_session');
    const login = await browser.get(authorizeUrl({ prompt: 'login' }).url);
    expect(login.status).toBe(200);
    expect(login.html).toContain('<label for="email">Email</label>');
    const done = await signIn(browser, login);
    expect(done.status).toBe(303);
    expect(responseParams(done).get('code')).toBeTruthy();
    expect(browser.cookies.get('auth_session')).not.toBe(before);
  });

  it('prompt=consent shows the consent page even when consent is remembered', async () => {
    const browser = await signedInBrowser();
    const consent = await browser.get(authorizeUrl({ prompt: 'consent' }).url);
    expect(consent.status).toBe(200);
    expect(consent.html).toMatch(/>Allow<\/button>/);
    const done = await browser.submit(consent, { decision: 'allow' });
    expect(responseParams(done).get('code')).toBeTruthy();
  });

  it('max_age: an older sign-in must sign in again; a recent one passes; max_age=0 acts as prompt=login', async () => {
    const browser = await signedInBrowser();
    const clock = server.app.get(AuthorizationClock);
    const realNow = clock.nowSeconds();
    jest.spyOn(clock, 'nowSeconds').mockReturnValue(realNow + 120);
    const stale = await browser.get(authorizeUrl({ max_age: '60' }).url);
    expect(stale.status).toBe(200);
    expect(stale.html).toContain('<label for="email">Email</label>');
    const recent = await browser.get(authorizeUrl({ max_age: '3600' }).url);
    expect(recent.status).toBe(302);
    expect(responseParams(recent).get('code')).toBeTruthy();
    const none = await browser.get(authorizeUrl({ max_age: '60', prompt: 'none' }).url);
    expect(responseParams(none).get('error')).toBe('login_required');
    jest.restoreAllMocks();

    const zero = await browser.get(authorizeUrl({ max_age: '0' }).url);
    expect(zero.status).toBe(200);
    const done = await signIn(browser, zero);
    expect(done.status).toBe(303);
    expect(responseParams(done).get('code')).toBeTruthy();
  });

  it('Deny redirects with access_denied, the exact state and iss, and issues no code', async () => {
    const browser = new Browser(server.url);
    const consent = await signIn(browser, await browser.get(authorizeUrl({ scope: 'openid email' }).url), 'bob@example.com');
    const denied = await browser.submit(consent, { decision: 'deny' });
    expect(denied.status).toBe(303);
    const params = responseParams(denied);
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe(STATE);
    expect(params.get('iss')).toBe(server.config.issuer);
    expect(params.get('code')).toBeNull();
  });

  it('wrong credentials: the same page again, 401, one generic message, the email kept and never the password', async () => {
    const browser = new Browser(server.url);
    const login = await browser.get(authorizeUrl({}).url);
    const email = await newUser();
    const failed = await browser.submit(login, { email, password: 'wrong password 123' });
    expect(failed.status).toBe(401);
    expect(failed.html).toContain('Incorrect email or password.');
    expect(failed.html).toContain(`value="${email}"`);
    expect(failed.html).not.toContain('wrong password 123');
    expect(browser.cookies.get('auth_session')).toBeUndefined();
    const unknown = await browser.submit(login, { email: 'nobody@example.com', password: PASSWORD });
    expect(unknown.status).toBe(401);
    expect(unknown.html).toContain('Incorrect email or password.');
    // The form still works after a failure.
    expect((await browser.submit(failed, { email, password: PASSWORD })).status).toBe(200);
  });

  it('treats the session of a disabled user as no session', async () => {
    const email = await newUser();
    const browser = await signedInBrowser(email);
    await server.app.get(UserService).setDisabled(email, true, ACTOR);
    const response = await browser.get(authorizeUrl({ prompt: 'none' }).url);
    expect(responseParams(response).get('error')).toBe('login_required');
  });

  it('prefills Email from login_hint', async () => {
    const login = await new Browser(server.url).get(authorizeUrl({ login_hint: 'alice@example.com' }).url);
    expect(login.html).toContain('value="alice@example.com"');
  });

  it('appends to a registered redirect URI that has a query, and uses the only registered URI when none is sent', async () => {
    const browser = await signedInBrowser();
    const { url } = authorizeUrl({ client_id: 'with-query', redirect_uri: '', scope: 'openid' });
    const consent = await browser.get(url.replace('redirect_uri=&', ''));
    const done = await browser.submit(consent, { decision: 'allow' });
    expect(done.location).toMatch(/^https:\/\/q\.example\.com\/cb\?tenant=7&code=[A-Za-z0-9_-]{43}&state=/);
  });

  it('accepts the request by POST with a form body (OIDC Core s3.1.2.1) and answers 303', async () => {
    const browser = await signedInBrowser();
    const { url } = authorizeUrl({});
    const response = await browser.post('/oauth2/authorize', new URLSearchParams(url.split('?')[1]));
    expect(response.status).toBe(303);
    expect(responseParams(response).get('code')).toBeTruthy();
  });

  it('carries the request in the form, not in server state: the hidden fields are a sealed request and a CSRF token', async () => {
    const login = await new Browser(server.url).get(authorizeUrl({}).url);
    expect(Object.keys(hiddenFields(login.html)).sort()).toEqual(['authorization_request', 'csrf_token']);
  });
});
