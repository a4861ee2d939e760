import type { TestBrowser } from './browser';
import type { DemoHarness } from './demo-harness';

/** The `/security` forms, by action. */
export const SECURITY_FORMS = [
  '/security/totp/setup',
  '/security/totp/confirm',
  '/security/totp/turn-off',
  '/security/totp/disable',
  '/security/recovery-codes/new',
  '/security/recovery-codes/regenerate',
] as const;

/** A page of the demo: its answer and its HTML. */
export interface Fetched {
  readonly response: Response;
  readonly html: string;
}

/** Drives the demo's `/security` page as a browser would (same-origin form posts). */
export class SecurityPageDriver {
  constructor(
    private readonly h: DemoHarness,
    readonly browser: TestBrowser,
  ) {}

  /** GET `path` of the demo. */
  async get(path: string): Promise<Fetched> {
    const response = await this.browser.request(`${this.h.demoUrl}${path}`);
    return { response, html: await response.text() };
  }

  /** The CSRF token of the forms on `/security`. */
  async csrf(): Promise<string> {
    return csrfOf((await this.get('/security')).html);
  }

  /** A form POST from the demo's own origin, with `fields` as sent (the test adds `csrf` itself). */
  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = { origin: this.h.demoUrl }): Promise<Fetched> {
    const response = await this.browser.request(`${this.h.demoUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
    return { response, html: await response.text() };
  }

  /** Presses `Set up authenticator app` and follows the redirect: the setup page and its secret. */
  async startSetup(): Promise<Fetched & { secret: string }> {
    const csrf = await this.csrf();
    const started = await this.post('/security/totp/setup', { csrf });
    if (started.response.status !== 303) throw new Error(`setup did not start: ${started.response.status} ${started.html}`);
    const setup = await this.get(started.response.headers.get('location')!);
    return { ...setup, secret: secretOf(setup.html) };
  }

  /** Sets up the authenticator and confirms it: the secret and the recovery codes page. */
  async enable(): Promise<Fetched & { secret: string }> {
    const { secret, html } = await this.startSetup();
    const confirmed = await this.post('/security/totp/confirm', { csrf: csrfOf(html), code: await this.h.account.totp.generate(secret) });
    if (confirmed.response.status !== 200) throw new Error(`confirmation failed: ${confirmed.response.status}`);
    return { ...confirmed, secret };
  }
}

/** The `csrf` hidden field's value in `html`. */
export function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no CSRF field in ${html.slice(0, 500)}`);
  return match[1]!;
}

/** The text of the element labelled `Secret key` (aria-labelledby="secret-label"). */
export function secretOf(html: string): string {
  const match = /<code aria-labelledby="secret-label">([^<]*)<\/code>/.exec(html);
  if (!match) throw new Error(`no Secret key on ${html.slice(0, 500)}`);
  return match[1]!;
}

/** The items of the list labelled `Recovery codes`, or undefined when there is none. */
export function recoveryCodesOf(html: string): string[] | undefined {
  const list = /<ul aria-label="Recovery codes">([\s\S]*?)<\/ul>/.exec(html);
  return list ? [...list[1]!.matchAll(/<li><code>([^<]*)<\/code><\/li>/g)].map((m) => m[1]!) : undefined;
}

/** The body rows of the table labelled `Recent security events`, each as its cells' HTML. */
export function eventRowsOf(html: string): string[][] {
  const body = /<table aria-label="Recent security events">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html);
  if (!body) throw new Error('no Recent security events table');
  return [...body[1]!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1]!));
}

/** A six-digit code that is not `code` (nor, but by a one-in-a-million chance, a neighbouring step's). */
export function wrongCode(code: string): string {
  return String((Number(code) + 500_000) % 1_000_000).padStart(6, '0');
}
