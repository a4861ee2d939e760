import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TotpService, TOTP_PERIOD_SECONDS } from '@authkit/mfa';
import { findSecrets, testDatabaseKinds } from '@authkit/testing';
import { launchChromium } from './support/browser';
import { startStack, type Stack } from './support/stack';

const STEP_MS = TOTP_PERIOD_SECONDS * 1000;
/** The flow waits for up to two TOTP steps (a used code's step must pass), on top of the pages. */
const FLOW_TIMEOUT_MS = 240_000;

/**
 * A user turns on two-factor authentication on the demo's /security page and signs in
 * with it, in Chromium, through auth-server's real pages: set up an authenticator app
 * (Secret key, Authentication code, Confirm), save the recovery codes, sign in again with
 * an authenticator code and then with a recovery code, and turn two-factor off.
 */
describe.each(testDatabaseKinds())('two-factor authentication from the demo in Chromium [%s]', (kind) => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const totp = new TotpService({ issuer: 'e2e' });
  /** The latest TOTP step auth-server accepted: a code of that step or before is a replay (RFC 6238 s5.2). */
  let lastUsedStep = 0;

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

  const currentStep = () => Math.floor(Date.now() / STEP_MS);

  /**
   * A code auth-server will take: of a step after the last one used, within its window of
   * one step either side of now. Waits for the next step when the last used one is the
   * next step already.
   */
  async function freshCode(secret: string): Promise<string> {
    while (currentStep() < lastUsedStep) await page.waitForTimeout((currentStep() + 1) * STEP_MS - Date.now() + 50);
    const step = currentStep() + 1;
    lastUsedStep = step;
    return totp.generate(secret, step * STEP_MS);
  }

  /** Email and password on auth-server's login page; consent when asked. Stops where the next page is. */
  async function enterPassword(): Promise<void> {
    await page.goto(stack.demoUrl);
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.origin === stack.authUrl);
    await page.getByLabel('Email').fill(stack.user.email);
    await page.getByLabel('Password').fill(stack.user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Allows the demo on the consent page if auth-server shows it, then waits for the demo's home page. */
  async function consentAndReturn(): Promise<void> {
    const allow = page.getByRole('button', { name: 'Allow' });
    const asked = await Promise.race([allow.waitFor().then(() => true), page.waitForURL(`${stack.demoUrl}/`).then(() => false)]);
    if (asked) await allow.click();
    await page.waitForURL(`${stack.demoUrl}/`);
  }

  async function signOut(): Promise<void> {
    await page.goto(stack.demoUrl);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${stack.demoUrl}/`);
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
  }

  const adminStats = async () => (await page.request.get(`${stack.demoUrl}/api/admin/stats`)).status();

  it(
    'sets up an authenticator on /security, signs in with a code and with a recovery code, and turns it off',
    async () => {
      // Signed in with the password only.
      await enterPassword();
      await consentAndReturn();
      await page.getByRole('link', { name: 'Security' }).click();
      await page.waitForURL(`${stack.demoUrl}/security`);
      const events = page.getByRole('table', { name: 'Recent security events' });
      await events.waitFor();

      // Set up authenticator app: the secret as text, confirmed with the app's code.
      await page.getByRole('button', { name: 'Set up authenticator app' }).click();
      const secret = ((await page.getByLabel('Secret key').textContent()) ?? '').trim();
      expect(secret).toMatch(/^[A-Z2-7]{16,}=*$/);
      await expect(page.locator('svg[role="img"]').count()).resolves.toBe(1);
      lastUsedStep = currentStep() + 1;
      await page.getByLabel('Authentication code').fill(await totp.generate(secret, lastUsedStep * STEP_MS));
      await page.getByRole('button', { name: 'Confirm' }).click();
      const recoveryCodes = (await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allTextContents()).map((c) => c.trim());
      expect(recoveryCodes).toHaveLength(10);
      expect(new Set(recoveryCodes).size).toBe(10);

      // Shown once: /security now offers to turn it off, lists the events, and no recovery code.
      await page.goto(`${stack.demoUrl}/security`);
      await page.getByRole('button', { name: 'Turn off two-factor authentication' }).waitFor();
      expect(await page.getByRole('list', { name: 'Recovery codes' }).count()).toBe(0);
      expect(await events.getByRole('row').count()).toBeGreaterThan(1); // header and at least one event
      expect(await events.textContent()).not.toContain('No security events yet.');

      // This session's token predates the second factor: amr is ["pwd"], the admin API refuses.
      expect(await adminStats()).toBe(403);
      await signOut();

      // Password, then the authenticator code (a later step than the one the confirmation used).
      await enterPassword();
      await page.getByLabel('Authentication code').waitFor();
      await page.getByLabel('Authentication code').fill(await freshCode(secret));
      await page.getByRole('button', { name: 'Verify' }).click();
      await consentAndReturn();
      expect(await adminStats()).toBe(200);
      const me = (await (await page.request.get(`${stack.demoUrl}/api/me`)).json()) as { amr: string[] };
      expect(me.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
      await signOut();

      // Password, then a recovery code instead.
      await enterPassword();
      await page.getByRole('link', { name: 'Use a recovery code' }).click();
      await page.getByLabel('Recovery code').fill(recoveryCodes[0] ?? '');
      await page.getByRole('button', { name: 'Verify' }).click();
      await consentAndReturn();
      expect(await adminStats()).toBe(200);

      // Turn off two-factor authentication with a current code.
      await page.goto(`${stack.demoUrl}/security`);
      await page.getByRole('button', { name: 'Turn off two-factor authentication' }).click();
      await page.getByLabel('Authentication code').fill(await freshCode(secret));
      await page.getByRole('button', { name: 'Turn off' }).click();
      await page.waitForURL(`${stack.demoUrl}/security`);
      await page.getByRole('button', { name: 'Set up authenticator app' }).waitFor();
      expect(await page.getByRole('table', { name: 'Recent security events' }).getByRole('row').count()).toBeGreaterThan(1);

      // Neither service logged the secret, a recovery code or the password.
      expect(findSecrets(stack.output(), [stack.user.password, secret, ...recoveryCodes])).toEqual([]);
    },
    FLOW_TIMEOUT_MS,
  );

  it('keeps two-factor off after a wrong code at setup, with the setup page shown again', async () => {
    await enterPassword();
    await consentAndReturn();
    await page.goto(`${stack.demoUrl}/security`);
    await page.getByRole('button', { name: 'Set up authenticator app' }).click();
    const secret = ((await page.getByLabel('Secret key').textContent()) ?? '').trim();
    const right = await totp.generate(secret);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${stack.demoUrl}/security/totp/confirm`),
      (async () => {
        await page.getByLabel('Authentication code').fill(String((Number(right) + 500_000) % 1_000_000).padStart(6, '0'));
        await page.getByRole('button', { name: 'Confirm' }).click();
      })(),
    ]);
    expect(response.status()).toBe(400);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('That code did not work.');
    expect(((await page.getByLabel('Secret key').textContent()) ?? '').trim()).toBe(secret);
    await page.goto(`${stack.demoUrl}/security`);
    await page.getByRole('button', { name: 'Set up authenticator app' }).waitFor();
  });
});
