/**
 * A browser without a browser, for HTTP-level tests of the sign-in pages: it keeps
 * cookies per origin, follows redirects within the authorization server, stops at the
 * first redirect elsewhere (the client's redirect URI), and submits the page's forms the
 * way a browser would (every named input, plus the pressed button's name and value).
 */
export class UserAgent {
  private readonly cookies = new Map<string, Map<string, string>>();

  /** Every `Set-Cookie` line received, in order. */
  readonly setCookies: string[] = [];

  /** The last page, its URL and its status. */
  page = { url: '', status: 0, html: '' };

  /** @param headers sent with every request (e.g. `X-Forwarded-For` behind a trusted proxy). */
  constructor(
    private readonly serverOrigin: string,
    private readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  /** Navigates to `url`. Returns the external redirect it stopped at, if any. */
  async open(url: string): Promise<URL | undefined> {
    return this.navigate(url, { method: 'GET' });
  }

  /**
   * Submits the form that contains the button labelled `button`, with `fields` typed into
   * the inputs named there (by `name` or by the text of their `<label for>`).
   */
  async submit(button: string, fields: Record<string, string> = {}): Promise<URL | undefined> {
    const form = findForm(this.page.html, button);
    if (!form) throw new Error(`no form with a "${button}" button on ${this.page.url} (status ${this.page.status})`);
    const body = new URLSearchParams();
    for (const input of form.inputs) {
      const typed = fields[input.name] ?? (input.label !== undefined ? fields[input.label] : undefined);
      body.append(input.name, typed ?? input.value);
    }
    if (form.button.name) body.append(form.button.name, form.button.value);
    const action = new URL(form.action || this.page.url, this.page.url).toString();
    return this.navigate(action, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.serverOrigin } });
  }

  /** The cookie `name` this agent holds for the server, if any. */
  cookie(name: string): string | undefined {
    return this.cookies.get(this.serverOrigin)?.get(name);
  }

  /** Plants a cookie, as an attacker on a sibling host or a prior visitor might. */
  setCookie(name: string, value: string): void {
    this.jar(this.serverOrigin).set(name, value);
  }

  private async navigate(url: string, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<URL | undefined> {
    let target = new URL(url);
    let request = init;
    for (let hops = 0; hops < 10; hops++) {
      if (target.origin !== this.serverOrigin) return target;
      const jar = this.jar(target.origin);
      const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
      const response = await fetch(target, { ...request, redirect: 'manual', headers: { ...this.headers, ...request.headers, ...(cookie ? { cookie } : {}) } });
      for (const line of response.headers.getSetCookie()) {
        this.setCookies.push(line);
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        if (!value || /max-age=0/i.test(line)) jar.delete(name);
        else jar.set(name, value);
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        target = new URL(location, target);
        request = { method: 'GET' };
        continue;
      }
      this.page = { url: target.toString(), status: response.status, html: await response.text() };
      return undefined;
    }
    throw new Error('too many redirects');
  }

  private jar(origin: string): Map<string, string> {
    let jar = this.cookies.get(origin);
    if (!jar) this.cookies.set(origin, (jar = new Map()));
    return jar;
  }
}

interface ParsedForm {
  action: string;
  inputs: { name: string; value: string; label: string | undefined }[];
  button: { name: string | undefined; value: string };
}

function findForm(html: string, buttonLabel: string): ParsedForm | undefined {
  const labels = new Map<string, string>();
  for (const m of html.matchAll(/<label[^>]*\bfor="([^"]+)"[^>]*>([\s\S]*?)<\/label>/gi)) labels.set(m[1]!, text(m[2]!));
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const inner = m[2]!;
    const button = [...inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)].find((b) => text(b[2]!) === buttonLabel);
    if (!button) continue;
    const inputs = [...inner.matchAll(/<input\b([^>]*)>/gi)]
      .map((i) => ({ name: attr(i[1]!, 'name'), value: attr(i[1]!, 'value') ?? '', id: attr(i[1]!, 'id') }))
      .filter((i): i is { name: string; value: string; id: string | undefined } => i.name !== undefined)
      .map((i) => ({ name: i.name, value: decode(i.value), label: i.id ? labels.get(i.id) : undefined }));
    return { action: decode(attr(m[1]!, 'action') ?? ''), inputs, button: { name: attr(button[1]!, 'name'), value: decode(attr(button[1]!, 'value') ?? '') } };
  }
  return undefined;
}

function attr(tag: string, name: string): string | undefined {
  return new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(tag)?.[1];
}

function text(html: string): string {
  return decode(html.replace(/<[^>]+>/g, '')).trim();
}

function decode(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCharCode(parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
