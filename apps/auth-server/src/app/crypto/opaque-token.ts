import { createHash, randomBytes } from 'node:crypto';

const TOKEN_BYTES = 32; // 256 bits (RFC 6749 s10.10; RFC 9700 s2.5)

/** A new opaque credential (authorization code, refresh token): 256 random bits, base64url. */
export function newOpaqueToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * How opaque credentials are stored: SHA-256, hex. They are 256-bit random values, so there
 * is nothing to guess and a slow hash would only slow the token endpoint.
 */
export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The rows of an `UPDATE ... RETURNING` through TypeORM's postgres driver (`[rows, count]`). */
export function returnedRows<T>(result: unknown): T[] {
  const value = result as [T[], number] | T[];
  return Array.isArray(value[0]) ? (value[0] as T[]) : (value as T[]);
}
