/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A complete, plain HTML page. No inline scripts: the Content-Security-Policy forbids them. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; color: #1b1b1b; }
  a.button, button { display: inline-block; padding: .5rem 1rem; border-radius: .25rem; background: #1f4fd1; color: #fff; text-decoration: none; border: 0; font-size: 1rem; }
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
 * Headers for every demo page: no framing, no inline script, no referrer leaks to other
 * sites. `same-origin` rather than `no-referrer`: under `no-referrer` browsers send
 * `Origin: null` with same-origin form posts, and the sign-out form's CSRF defence checks
 * that the Origin is the demo's own (OWASP CSRF cheat sheet, "Verifying origin").
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': csp("'self'"),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/**
 * {@link PAGE_HEADERS} for a page whose form may be redirected to auth-server: the sign-out
 * form's 303 leads to the end-session endpoint (RP-Initiated Logout 1.0), and Chromium
 * applies `form-action` to redirects after a form post, so the issuer's origin is allowed too.
 */
export function pageHeadersWithIssuer(issuer: string): Readonly<Record<string, string>> {
  const origin = new URL(issuer).origin;
  return { ...PAGE_HEADERS, 'Content-Security-Policy': csp(`'self' ${origin}`) };
}

function csp(formAction: string): string {
  return `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
}
