// Attacks on the authorization request, checked before the authorization endpoint exists:
// - redirect URI manipulation to steal codes (RFC 9700 s4.1; RFC 6749 s10.6; OAuth 2.1 s7.12);
// - PKCE downgrade and verifier guessing (RFC 7636 s7.2; RFC 9700 s2.1.1, s4.8).
import { createHash, randomBytes } from 'node:crypto';
import { pkceProblem, pkceVerifierMatches } from './pkce';
import { redirectUriRegistered } from './redirect-uri';

const confidential = { redirectUris: ['https://app.example.com/callback'], tokenEndpointAuthMethod: 'client_secret_basic' as const };
const native = { redirectUris: ['http://127.0.0.1/callback', 'http://[::1]:8000/cb'], tokenEndpointAuthMethod: 'none' as const };

describe('redirect URI matching (exact string, RFC 9700 s4.1.3)', () => {
  it('accepts the registered URI exactly', () => {
    expect(redirectUriRegistered(confidential, 'https://app.example.com/callback')).toBe(true);
  });

  it.each([
    ['another port', 'https://app.example.com:8443/callback'],
    ['upper-case host', 'https://APP.example.com/callback'],
    ['upper-case path', 'https://app.example.com/Callback'],
    ['trailing slash', 'https://app.example.com/callback/'],
    ['added query', 'https://app.example.com/callback?next=/admin'],
    ['fragment', 'https://app.example.com/callback#frag'],
    ['path traversal', 'https://app.example.com/callback/../evil'],
    ['encoded path traversal', 'https://app.example.com/callback/%2e%2e/evil'],
    ['encoded slash', 'https://app.example.com%2fcallback'],
    ['userinfo @', 'https://app.example.com@evil.example/callback'],
    ['userinfo before host', 'https://evil.example@app.example.com/callback'],
    ['subdomain', 'https://evil.app.example.com/callback'],
    ['sibling domain', 'https://app.example.com.evil.example/callback'],
    ['scheme http', 'http://app.example.com/callback'],
    ['scheme javascript', 'javascript:alert(1)//app.example.com/callback'],
    ['suffix', 'https://app.example.com/callbackx'],
    ['empty', ''],
  ])('refuses %s', (_case, uri) => {
    expect(redirectUriRegistered(confidential, uri)).toBe(false);
  });

  it('lets a native public client use any port on a registered loopback IP (RFC 8252 s7.3)', () => {
    expect(redirectUriRegistered(native, 'http://127.0.0.1:51234/callback')).toBe(true);
    expect(redirectUriRegistered(native, 'http://[::1]:40000/cb')).toBe(true);
    expect(redirectUriRegistered(native, 'http://127.0.0.1/callback')).toBe(true);
  });

  it.each([
    ['another path', 'http://127.0.0.1:51234/other'],
    ['localhost instead of the IP (RFC 8252 s8.3)', 'http://localhost:51234/callback'],
    ['https scheme', 'https://127.0.0.1:51234/callback'],
    ['added query', 'http://127.0.0.1:51234/callback?x=1'],
    ['fragment', 'http://127.0.0.1:51234/callback#x'],
    ['userinfo', 'http://evil@127.0.0.1:51234/callback'],
    ['port out of range', 'http://127.0.0.1:70000/callback'],
    ['another loopback address', 'http://127.0.0.2:51234/callback'],
  ])('still refuses %s for a native client', (_case, uri) => {
    expect(redirectUriRegistered(native, uri)).toBe(false);
  });

  it('gives a confidential client no loopback port exception', () => {
    const web = { redirectUris: ['http://127.0.0.1/callback'], tokenEndpointAuthMethod: 'client_secret_post' as const };
    expect(redirectUriRegistered(web, 'http://127.0.0.1:9999/callback')).toBe(false);
  });
});

describe('PKCE (S256 only)', () => {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');

  it('requires a challenge and the S256 method', () => {
    expect(pkceProblem(challenge, 'S256')).toBeUndefined();
    expect(pkceProblem(undefined, undefined)).toBe('challenge_missing');
    expect(pkceProblem(challenge, 'plain')).toBe('method_not_s256');
    expect(pkceProblem(challenge, undefined)).toBe('method_not_s256'); // RFC 7636 s4.3 would default to plain
    expect(pkceProblem(challenge, 's256')).toBe('method_not_s256');
  });

  it.each([
    ['too short', 'a'.repeat(42)],
    ['too long', 'a'.repeat(44)],
    ['non-base64url characters', `${'a'.repeat(42)}+`],
    ['padding', `${'a'.repeat(42)}=`],
  ])('refuses a challenge that is %s', (_case, value) => {
    expect(pkceProblem(value, 'S256')).toBe('challenge_malformed');
  });

  it('matches only the right verifier', () => {
    expect(pkceVerifierMatches(verifier, challenge)).toBe(true);
    expect(pkceVerifierMatches(randomBytes(32).toString('base64url'), challenge)).toBe(false);
    expect(pkceVerifierMatches(undefined, challenge)).toBe(false);
  });

  it('refuses the challenge itself as verifier, and malformed verifiers', () => {
    expect(pkceVerifierMatches(challenge, challenge)).toBe(false);
    expect(pkceVerifierMatches('a'.repeat(42), challenge)).toBe(false); // under 43 characters
    expect(pkceVerifierMatches('a'.repeat(129), challenge)).toBe(false); // over 128
    expect(pkceVerifierMatches(`${verifier.slice(0, 42)} `, challenge)).toBe(false); // space is not unreserved
  });
});
