/**
 * Where a sign-in may send the browser when it completes, instead of `/`: a fixed
 * allow-list of the demo's own paths, compared as whole strings (RFC 9700 s4.11, open
 * redirector; CWE-601). The redirect uses the list's own constant, never
 * the request's text, so no absolute URL, `//host`, `/\host`, encoded or dot-segment
 * variant, scheme or header-breaking character can come through.
 */
export const RETURN_PATHS = ['/security'] as const;

/** A path of {@link RETURN_PATHS}. */
export type ReturnPath = (typeof RETURN_PATHS)[number];

/** The sign-in start's query parameter asking for a new sign-in (`prompt=login`): its only accepted value is `1`. */
export const REAUTH_PARAM = 'reauth';
/** The sign-in start's query parameter naming where to go afterwards (one of {@link RETURN_PATHS}). */
export const RETURN_TO_PARAM = 'return_to';

/** The allow-listed path equal to `value`, or undefined for anything else (which means `/`). */
export function returnPathOf(value: unknown): ReturnPath | undefined {
  return RETURN_PATHS.find((path) => path === value);
}

/**
 * The demo's own sign-in start asking for a new sign-in and a return to `returnTo`:
 * `/auth/login?reauth=1&return_to=%2Fsecurity`.
 */
export function reauthenticationPath(returnTo: ReturnPath): string {
  return `/auth/login?${new URLSearchParams({ [REAUTH_PARAM]: '1', [RETURN_TO_PARAM]: returnTo }).toString()}`;
}
