// Attack: weak or mismatched verification keys published by a compromised or misconfigured
// JWKS (RFC 7518 s3.3: RSA keys of at least 2048 bits; RFC 8725 s3.1).
import { generateKeyPairSync } from 'node:crypto';
import { KeySource } from './key-source';

const ISSUER = 'https://auth.test.example';

function jwksFetch(keys: Record<string, unknown>[], counter: { n: number }): typeof fetch {
  return (async (url: string | URL) => {
    counter.n += 1;
    const body = String(url).endsWith('/jwks') ? { keys } : { issuer: ISSUER, jwks_uri: `${ISSUER}/jwks` };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

function rsaJwk(bits: number, kid: string): Record<string, unknown> {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { ...(publicKey.export({ format: 'jwk' }) as object), kid, alg: 'RS256', use: 'sig' };
}

describe('KeySource', () => {
  it('skips RSA keys shorter than 2048 bits and private or symmetric keys', async () => {
    const strong = rsaJwk(2048, 'strong');
    const weak = rsaJwk(1024, 'weak');
    const symmetric = { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac', alg: 'HS256' };
    const source = new KeySource({ issuer: ISSUER, algorithms: ['RS256'], fetch: jwksFetch([strong, weak, symmetric], { n: 0 }) });
    expect(await source.get('strong')).toBeDefined();
    expect(await source.get('weak')).toBeUndefined();
    expect(await source.get('hmac')).toBeUndefined();
  });

  it('fetches the discovery document once, not on every key set refresh', async () => {
    const counter = { n: 0 };
    const source = new KeySource({ issuer: ISSUER, algorithms: ['RS256'], fetch: jwksFetch([rsaJwk(2048, 'k1')], counter) });
    await source.get('k1');
    await source.refresh();
    await source.refresh();
    expect(counter.n).toBe(4); // one discovery, three key sets
  });
});
