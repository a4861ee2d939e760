/** Escapes text for HTML element content and attribute values (OWASP XSS Prevention, rule 1 and 2). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A complete, plain HTML page. No scripts at all: the Content-Security-Policy forbids them. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; color: #1b1b1b; }
  label { display: block; margin-top: 1rem; font-weight: 600; }
  input[type=email], input[type=password], input[type=text] { display: block; width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; }
  button { margin-top: 1.25rem; margin-right: .5rem; padding: .5rem 1rem; border-radius: .25rem; background: #1f4fd1; color: #fff; border: 0; font-size: 1rem; }
  button.secondary { background: #5a5a5a; }
  .error { color: #a10000; }
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

/**
 * The CSP source for where a redirect URI points: its origin, or its scheme for a private-use
 * scheme URI (RFC 8252 s7.1), which has no origin.
 */
export function formActionSource(redirectUri: string): string | undefined {
  try {
    const url = new URL(redirectUri);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
    return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Headers of every sign-in page: a strict CSP (no script, no framing, no `<base>`), no
 * MIME sniffing, no referrer (the URL carries `state` and more), no caching (the pages
 * carry CSRF tokens). `form-action` names `'self'` and the client's redirect URI origin,
 * because Chromium applies `form-action` to the redirect that follows a form POST.
 */
export function pageHeaders(redirectUri?: string): Record<string, string> {
  const target = redirectUri === undefined ? undefined : formActionSource(redirectUri);
  const formAction = target ? `'self' ${target}` : "'self'";
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'X-Frame-Options': 'DENY', // RFC 6749 s10.13: clickjacking, for browsers without frame-ancestors
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
  };
}
