/** Replaces credential-looking substrings: JWTs, bearer and basic credentials, PEM keys. */
const SECRET_TEXT: readonly [RegExp, string][] = [
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
  [/\b(Bearer|Basic|DPoP)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[redacted-private-key]'],
];

/** Makes free text safe to log. */
export function scrubText(text: string): string {
  return SECRET_TEXT.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

const SECRET_KEYS = [
  'password', 'new_password', 'current_password', 'secret', 'client_secret', 'token', 'access_token',
  'refresh_token', 'id_token', 'code', 'code_verifier', 'otp', 'totp', 'recovery_code', 'assertion',
  'client_assertion', 'private_key', 'privateKey', 'd', 'kek', 'authorization', 'cookie', 'set-cookie',
];

/**
 * pino `redact` paths: request credentials and, wherever a logged object carries them,
 * members named like credentials (at the top level and one level down).
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((key) => [`["${key}"]`, `*["${key}"]`]),
];
