import type { Browser, BrowserContext, Page } from 'playwright-core';
import { findSecrets, testDatabaseKinds } from '@authkit/testing';
import { launchChromium } from './support/browser';
import { ACCESS_TOKEN_TTL_S, startStack, type Stack } from './support/stack';

/**
 * A user signs in to the demo through auth-server's real pages in Chromium and calls the
 * demo API with the demo's HTTP-only session cookie; tokens never reach page scripts.
 */
describe.each(testDatabaseKinds())('sign-in to the demo in Chromium [%s]', (kind) => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    stack = await startStack(kind);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterEach(async () => {
    await context.close();
  });

  /** Signs in through auth-server's login page; resolves to whether the consent page was shown (and allowed). */
  async function signInThroughPages(): Promise<boolean> {
    await page.goto(stack.demoUrl);
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.origin === stack.authUrl);
    await page.getByLabel('Email').fill(stack.user.email);
    await page.getByLabel('Password').fill(stack.user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const allow = page.getByRole('button', { name: 'Allow' });
    const consented = await Promise.race([
      allow.waitFor().then(() => true),
      page.waitForURL(`${stack.demoUrl}/`).then(() => false),
    ]);
    if (consented) await allow.click();
    await page.waitForURL(`${stack.demoUrl}/`);
    return consented;
  }

  it('signs in with email and password, consents, and calls the demo API with the session cookie', async () => {
    // The demo-web client of this stack is not marked skip_consent: the first sign-in asks.
    await expect(signInThroughPages()).resolves.toBe(true);
    await expect(page.getByText(stack.user.email).first().isVisible()).resolves.toBe(true);

    // No token reaches page scripts: the session cookie is HTTP-only and the page holds none.
    await expect(page.evaluate('document.cookie')).resolves.toBe('');
    expect(await page.content()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    const cookies = await context.cookies(stack.demoUrl);
    const session = cookies.find((c) => c.name === 'demo_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    const me = await page.request.get(`${stack.demoUrl}/api/me`);
    expect(me.status()).toBe(200);
    const body = (await me.json()) as { sub: string; scope: string; amr: string[]; roles: string[] };
    expect(body.amr).toEqual(['pwd']);
    expect(body.roles).toEqual(['admin']);
    expect(body.scope.split(' ')).toContain('demo:read');
    expect((await page.request.get(`${stack.demoUrl}/api/reports`)).status()).toBe(200);
    // Role admin is not enough for the admin API: it also wants a second factor in amr.
    expect((await page.request.get(`${stack.demoUrl}/api/admin/stats`)).status()).toBe(403);
  });

  it('refreshes the access token behind the session cookie once it is nearly expired, with one token request', async () => {
    await signInThroughPages();
    const tokenRequests = () => stack.output().split('\n').filter((line) => line.includes('"path":"/oauth2/token"')).length;
    const before = tokenRequests();
    // The demo refreshes when less than 30 s are left of the access token's lifetime.
    await page.waitForTimeout((ACCESS_TOKEN_TTL_S - 30 + 1) * 1000);
    const answers = await Promise.all([1, 2, 3].map(() => page.request.get(`${stack.demoUrl}/api/me`)));
    expect(answers.map((a) => a.status())).toEqual([200, 200, 200]);
    // Give the access log a moment; a rotated refresh token used twice would revoke the family.
    await page.waitForTimeout(200);
    expect(tokenRequests() - before).toBe(1);
    expect((await page.request.get(`${stack.demoUrl}/api/reports`)).status()).toBe(200);
  });

  it('signs out at the demo and at auth-server: back on the demo, the API refuses, and the next sign-in asks for the password', async () => {
    await signInThroughPages();
    // The demo goes on to auth-server's end_session_endpoint with id_token_hint (RP-Initiated
    // Logout 1.0); demo-web registers no post_logout_redirect_uris in this stack, so the
    // return to <demo>/ exercises the documented origin fallback.
    const hops: string[] = [];
    page.on('request', (r) => {
      if (r.isNavigationRequest()) hops.push(r.url());
    });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${stack.demoUrl}/`);
    expect(hops.some((url) => url.startsWith(`${stack.authUrl}/oauth2/logout?`) && new URL(url).searchParams.has('id_token_hint'))).toBe(true);
    await expect(page.getByRole('link', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    expect((await page.request.get(`${stack.demoUrl}/api/me`)).status()).toBe(401);
    expect(await context.cookies(stack.authUrl)).not.toContainEqual(expect.objectContaining({ name: 'auth_session' }));

    // The auth-server session is gone: the next person at this browser sees the login page.
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.origin === stack.authUrl);
    await expect(page.getByLabel('Password').isVisible()).resolves.toBe(true);
  });

  it('keeps a wrong password on the login page with one generic message, and serves the page unframeable', async () => {
    await page.goto(stack.demoUrl);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().startsWith(stack.authUrl) && r.request().method() === 'GET' && r.status() === 200),
      page.getByRole('link', { name: 'Sign in' }).click(),
    ]);
    const headers = response.headers();
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['x-frame-options']).toBe('DENY');
    await page.getByLabel('Email').fill(stack.user.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByText('Incorrect email or password.').isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Password').inputValue()).resolves.toBe('');
    expect(new URL(page.url()).origin).toBe(stack.authUrl);
    expect(await context.cookies(stack.authUrl)).not.toContainEqual(expect.objectContaining({ name: 'auth_session' }));
  });

  it('never writes the password or a token to either service log', () => {
    expect(stack.output().length).toBeGreaterThan(0);
    expect(findSecrets(stack.output(), [stack.user.password])).toEqual([]);
  });
});
