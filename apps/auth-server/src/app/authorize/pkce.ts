import { createHash, timingSafeEqual } from 'node:crypto';

/** RFC 7636 s4.2: BASE64URL(SHA256(verifier)) is exactly 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 s4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Why a PKCE request is refused; all map to `invalid_request` at the authorization endpoint. */
export type PkceProblem = 'challenge_missing' | 'method_not_s256' | 'challenge_malformed';

/**
 * Checks the authorization request's PKCE parameters: a challenge is required from every
 * client (RFC 9700 s2.1.1, OAuth 2.1), the method must be `S256` (`plain`, or no method,
 * which RFC 7636 s4.3 defaults to `plain`, is refused), and the challenge must have the
 * form a SHA-256 digest in base64url has.
 */
export function pkceProblem(challenge: string | undefined, method: string | undefined): PkceProblem | undefined {
  if (challenge === undefined) return 'challenge_missing';
  if (method !== 'S256') return 'method_not_s256';
  if (!S256_CHALLENGE.test(challenge)) return 'challenge_malformed';
  return undefined;
}

/**
 * RFC 7636 s4.6: the verifier is well formed and `BASE64URL(SHA256(verifier))` equals the
 * stored challenge, compared in constant time. A verifier equal to the challenge (a client
 * replaying what it sent) fails like any other wrong verifier.
 */
export function pkceVerifierMatches(verifier: string | undefined, challenge: string): boolean {
  if (verifier === undefined || !VERIFIER.test(verifier)) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
