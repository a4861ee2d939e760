/**
 * A minimal browser for the tests: one cookie jar per origin (enough here: the demo and the
 * issuer never share cookie names), redirects followed by hand so each hop can be inspected.
 */
export class TestBrowser {
  private readonly jars = new Map<string, Map<string, string>>();
  /** Every `Set-Cookie` header seen, by origin, for attribute checks. */
  readonly setCookies: { origin: string; header: string }[] = [];

  /** One request; stores the response's cookies for its origin. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target.origin);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const header of response.headers.getSetCookie()) {
      this.setCookies.push({ origin: target.origin, header });
      const [pair] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const jar = this.jar(target.origin);
      if (value === '' || /max-age=0/i.test(header)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }

  /** Follows redirects from `url` until a non-redirect response or `stopAt` matches the next URL. */
  async follow(url: string, stopAt?: (next: URL) => boolean, maxHops = 15): Promise<{ response: Response; url: string }> {
    let current = url;
    for (let hop = 0; hop < maxHops; hop += 1) {
      const response = await this.request(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response, url: current };
      const next = new URL(location, current);
      if (stopAt?.(next)) return { response, url: current };
      current = next.href;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** The cookie `name` stored for `origin`. */
  cookie(origin: string, name: string): string | undefined {
    return this.jar(origin).get(name);
  }

  /** Sets or removes a cookie by hand (an attacker's or a test's doing). */
  setCookie(origin: string, name: string, value: string | undefined): void {
    if (value === undefined) this.jar(origin).delete(name);
    else this.jar(origin).set(name, value);
  }

  private cookieHeader(origin: string): string {
    return [...this.jar(origin)].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private jar(origin: string): Map<string, string> {
    let jar = this.jars.get(origin);
    if (!jar) this.jars.set(origin, (jar = new Map()));
    return jar;
  }
}
