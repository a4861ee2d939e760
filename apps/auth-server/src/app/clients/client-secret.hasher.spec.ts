// Timing attack on client secret comparison (RFC 6749 s10.1 / RFC 9700 s2.5 secrets
// compared in constant time; CWE-208) and secrets at rest (RFC 6749 s10.1: stored hashed).
import * as crypto from 'node:crypto';
import { ClientSecretHasher } from './client-secret.hasher';

// A partial mock: every function is the real one, and timingSafeEqual is wrapped in a
// jest.fn so calls can be counted. `jest.spyOn(require('node:crypto'), ...)` is not used:
// whether the compiled hasher sees a spy installed on the module object depends on how
// swc emits the named import; a module mock replaces what every importer receives.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

const timingSafeEqual = crypto.timingSafeEqual as jest.MockedFunction<typeof crypto.timingSafeEqual>;

describe('ClientSecretHasher', () => {
  const kek = crypto.randomBytes(32);
  let hasher: ClientSecretHasher;

  beforeEach(() => {
    hasher = new ClientSecretHasher(kek);
    timingSafeEqual.mockClear();
  });

  it('compares with crypto.timingSafeEqual, once per candidate, with no early exit on a match', () => {
    const secret = hasher.generate();
    const hashes = [hasher.hash(secret), hasher.hash(hasher.generate()), hasher.hash(hasher.generate())];
    expect(hasher.matches(secret, hashes)).toBe(true);
    expect(timingSafeEqual).toHaveBeenCalledTimes(3);
    timingSafeEqual.mockClear();
    expect(hasher.matches('wrong', hashes)).toBe(false);
    expect(timingSafeEqual).toHaveBeenCalledTimes(3);
  });

  it('compares the keyed digest of the presented secret with the stored one, never raw secrets', () => {
    // Raw secrets of different lengths would also leak their length (and make
    // timingSafeEqual throw); digests are always 32 bytes.
    const secret = hasher.generate();
    const stored = hasher.hash('another secret, of another length');
    hasher.matches(secret, [stored]);
    expect(timingSafeEqual.mock.calls).toEqual([[Buffer.from(hasher.hash(secret), 'hex'), Buffer.from(stored, 'hex')]]);
  });

  it('still runs one comparison, against a decoy, when there is no candidate (unknown client)', () => {
    expect(hasher.matches('anything', [])).toBe(false);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
  });

  it('refuses even the secret that produced the decoy when the list is empty', () => {
    // The decoy is a real hash; only the empty list guarantees false. Spy on hash to learn
    // the decoy's secret from the constructor and present exactly it.
    const hash = jest.spyOn(ClientSecretHasher.prototype, 'hash');
    try {
      const fresh = new ClientSecretHasher(kek);
      const decoySecret = hash.mock.calls[0]![0];
      expect(fresh.matches(decoySecret, [])).toBe(false);
      expect(fresh.matches(decoySecret, [fresh.hash(decoySecret)])).toBe(true);
    } finally {
      hash.mockRestore();
    }
  });

  it('matches only the right secret, at any position among the candidates', () => {
    const secret = hasher.generate();
    const others = [hasher.hash(hasher.generate()), hasher.hash(hasher.generate())];
    for (const hashes of [[hasher.hash(secret), ...others], [...others, hasher.hash(secret)]]) {
      expect(hasher.matches(secret, hashes)).toBe(true);
      expect(hasher.matches(`${secret}x`, hashes)).toBe(false);
      expect(hasher.matches(secret.slice(0, -1), hashes)).toBe(false);
      expect(hasher.matches(secret.toUpperCase(), hashes)).toBe(false);
      expect(hasher.matches('', hashes)).toBe(false);
    }
    expect(hasher.matches(secret, others)).toBe(false);
  });

  it('stores a keyed digest that neither contains the secret nor matches under another KEK', () => {
    const secret = hasher.generate();
    const digest = hasher.hash(secret);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(digest).not.toContain(secret);
    expect(digest).not.toContain(Buffer.from(secret).toString('hex'));
    expect(hasher.hash(secret)).toBe(digest); // deterministic, so it can be looked up
    const other = new ClientSecretHasher(crypto.randomBytes(32));
    expect(other.hash(secret)).not.toBe(digest);
    expect(other.matches(secret, [digest])).toBe(false);
    // Not a bare, unkeyed SHA-256 either: a stolen table alone must not be checkable.
    expect(digest).not.toBe(crypto.createHash('sha256').update(secret).digest('hex'));
  });

  it('generates 256-bit random secrets', () => {
    const a = hasher.generate();
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(hasher.generate()).not.toBe(a);
  });
});
