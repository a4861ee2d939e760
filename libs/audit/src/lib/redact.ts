import type { JsonValue } from './audit-event.interface';

declare global {
  interface String {
    /** ES2024; in Node 20. Replaces lone surrogates with U+FFFD. */
    toWellFormed(): string;
  }
}

export const REDACTED = '[redacted]';

/** Words that make a member name a credential wherever they appear in it. */
const SECRET_WORDS = new Set([
  'password', 'passwd', 'pwd', 'passphrase', 'secret', 'token', 'authorization', 'cookie', 'otp', 'totp',
  'jwt', 'assertion', 'verifier', 'credential', 'credentials', 'kek', 'private', 'pin', 'recovery', 'apikey',
]);

/** `code` is a credential (authorization, TOTP, recovery code) unless it names an error or status. */
const HARMLESS_CODE_PREFIXES = new Set(['error', 'status', 'reason', 'http', 'response', 'country', 'currency']);

/** Values that are credentials whatever their member name: JWTs, bearer headers, PEM keys. */
const SECRET_VALUE = [
  /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/,
  /\bBearer\s+\S{8,}/i,
  /\bBasic\s+[A-Za-z0-9+/=]{8,}/i,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

const MAX_STRING = 1024; // characters kept of any one string
const MAX_DEPTH = 6;

const NAME_CACHE_LIMIT = 1_000; // member names are few and fixed by the callers
const verdicts = new Map<string, boolean>();

/** True when a member name says its value is a credential. Verdicts are cached: it runs for every member of every event. */
export function isSecretName(name: string): boolean {
  let verdict = verdicts.get(name);
  if (verdict === undefined) {
    verdict = judgeName(name);
    if (verdicts.size < NAME_CACHE_LIMIT) verdicts.set(name, verdict);
  }
  return verdict;
}

function judgeName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (words.some((word) => SECRET_WORDS.has(word))) return true;
  if (words.join('') === 'apikey' || words.at(-1) === 'key') return true;
  const codeAt = words.lastIndexOf('code');
  return codeAt !== -1 && !HARMLESS_CODE_PREFIXES.has(words[codeAt - 1] ?? '');
}

/**
 * Makes a string safe to store: no NUL (PostgreSQL text refuses it), no lone surrogate
 * (jsonb refuses it), bounded length, and redacted when it looks like a credential.
 */
export function cleanString(value: string): string {
  const clean = value.replaceAll('\u0000', '').toWellFormed().slice(0, MAX_STRING);
  return SECRET_VALUE.some((pattern) => pattern.test(clean)) ? REDACTED : clean;
}

/**
 * Returns a copy of event details with every credential-named member and every
 * credential-looking value replaced by {@link REDACTED}, so that no secret, password,
 * code or token reaches an audit row even when a caller passes one by mistake.
 */
export function redactDetails(details: Readonly<Record<string, JsonValue>> | undefined): Record<string, JsonValue> {
  return details ? (cleanValue(details, 0) as Record<string, JsonValue>) : {};
}

function cleanValue(value: JsonValue, depth: number): JsonValue {
  if (typeof value === 'string') return cleanString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value === 'boolean') return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.slice(0, 100).map((item) => cleanValue(item, depth + 1));
  const out: Record<string, JsonValue> = {};
  for (const [key, member] of Object.entries(value)) {
    const cleanKey = cleanString(key).slice(0, 100);
    out[cleanKey] = isSecretName(key) ? REDACTED : cleanValue(member, depth + 1);
  }
  return out;
}
