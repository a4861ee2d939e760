/** A compact JWS split and decoded, not yet verified. */
export interface DecodedJws {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  /** `BASE64URL(header) || '.' || BASE64URL(payload)`: the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const MAX_TOKEN_LENGTH = 16_384; // characters; larger inputs are refused before any parsing

/**
 * Decodes a JWS in compact serialisation (RFC 7515 s7.1) strictly: exactly three
 * base64url segments, header and payload each a JSON object with no duplicate member
 * (RFC 7515 s4 and RFC 8725 s3.x: parsers MUST reject or use the last; we reject).
 * Returns null for anything else, never throws.
 */
export function decodeCompactJws(token: string): DecodedJws | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  if (!h || !p || !s || !BASE64URL.test(h) || !BASE64URL.test(p) || !BASE64URL.test(s)) return null;
  const header = decodeObject(h);
  const payload = header && decodeObject(p);
  if (!header || !payload) return null;
  return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

function decodeObject(segment: string): Record<string, unknown> | null {
  const text = Buffer.from(segment, 'base64url').toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  return hasDuplicateMembers(text) ? null : (value as Record<string, unknown>);
}

/**
 * True when an object in the JSON text repeats a member name. `JSON.parse` keeps the
 * last duplicate silently, which lets a token mean different things to different parsers.
 */
export function hasDuplicateMembers(json: string): boolean {
  const stack: (Set<string> | null)[] = [];
  let i = 0;
  let expectKey = false;
  while (i < json.length) {
    const c = json[i];
    if (c === '"') {
      const end = stringEnd(json, i);
      if (end < 0) return false; // malformed: JSON.parse already refused it
      const top = stack[stack.length - 1];
      if (top && expectKey) {
        const name = JSON.parse(json.slice(i, end + 1)) as string;
        if (top.has(name)) return true;
        top.add(name);
        expectKey = false;
      }
      i = end + 1;
      continue;
    }
    if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] !== null && stack.length > 0;
    }
    i++;
  }
  return false;
}

function stringEnd(json: string, start: number): number {
  for (let i = start + 1; i < json.length; i++) {
    if (json[i] === '\\') i++;
    else if (json[i] === '"') return i;
  }
  return -1;
}
