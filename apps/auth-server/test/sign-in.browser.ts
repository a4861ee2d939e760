import { createHash, randomBytes, randomInt } from 'node:crypto';

/** A response as a browser sees it, with the page's form read out. */
export interface BrowserResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly html: string;
  /** The `Location` header, or undefined (redirects are never followed). */
  readonly location: string | undefined;
  /** The `Set-Cookie` values of this response. */
  readonly setCookies: string[];
}

/** Decodes the numeric character references `escapeHtml` writes, and the named basics. */
export function decodeHtml(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The hidden inputs of the page's first form, decoded. */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[match[1]!] = decodeHtml(match[2]!);
  return fields;
}

/** The `action` of the page's form. */
export function formAction(html: string): string {
  const match = /<form method="post" action="([^"]+)">/.exec(html);
  if (!match) throw new Error(`no form on the page:\n${html}`);
  return decodeHtml(match[1]!);
}

/** A PKCE verifier and its S256 challenge (RFC 7636 s4.1, s4.2). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * A browser: a cookie jar, its own client address (sent as `X-Forwarded-For` to a server
 * started with `TRUST_PROXY=127.0.0.1`, so per-address rate limits stay per browser), and
 * no redirect following, so each hop can be inspected.
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  readonly ip = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

  constructor(private readonly origin: string) {}

  get(pathOrUrl: string): Promise<BrowserResponse> {
    return this.request('GET', pathOrUrl);
  }

  /** Submits `fields` as `application/x-www-form-urlencoded`. */
  post(pathOrUrl: string, fields: Record<string, string> | URLSearchParams): Promise<BrowserResponse> {
    return this.request('POST', pathOrUrl, new URLSearchParams(fields).toString());
  }

  /** Submits the page's form with its hidden fields plus `fields`. */
  submit(page: BrowserResponse, fields: Record<string, string> = {}): Promise<BrowserResponse> {
    return this.post(formAction(page.html), { ...hiddenFields(page.html), ...fields });
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private async request(method: string, pathOrUrl: string, body?: string): Promise<BrowserResponse> {
    const headers: Record<string, string> = { 'x-forwarded-for': this.ip };
    if (this.cookies.size) headers['cookie'] = this.cookieHeader();
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(new URL(pathOrUrl, this.origin), { method, headers, body, redirect: 'manual' });
    const setCookies = response.headers.getSetCookie();
    for (const cookie of setCookies) {
      const [pair = '', ...attributes] = cookie.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: response.status, headers: response.headers, html: await response.text(), location: response.headers.get('location') ?? undefined, setCookies };
  }
}
