import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

export const ISSUER = 'https://auth.test.example';
export const AUDIENCE = 'https://api.test.example';

/** A signing key of the test authorization server. */
export interface TestKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256' | 'EdDSA';
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: Record<string, string>;
}

export function testKey(alg: TestKey['alg'] = 'RS256', kid = randomBytes(6).toString('hex')): TestKey {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  const jwk = { ...(pair.publicKey.export({ format: 'jwk' }) as Record<string, string>), kid, alg, use: 'sig' };
  return { kid, alg, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk };
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Standard RFC 9068 claims, valid for ten minutes from `now`. */
export function claims(overrides: Record<string, unknown> = {}, now = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  return {
    iss: ISSUER,
    sub: 'alice',
    aud: AUDIENCE,
    exp: now + 600,
    iat: now,
    jti: randomBytes(8).toString('hex'),
    client_id: 'demo-web',
    scope: 'openid reports:read',
    roles: ['admin'],
    amr: ['pwd', 'otp'],
    auth_time: now - 10,
    ...overrides,
  };
}

/** Signs `payload` with `key`; header members can be overridden or added, raw strings used as-is. */
export function mint(key: TestKey, payload: Record<string, unknown> | string = claims(), header: Record<string, unknown> | string = {}): string {
  const h = typeof header === 'string' ? header : JSON.stringify({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header });
  const input = `${b64(h)}.${b64(payload)}`;
  const digest = key.alg === 'EdDSA' ? null : 'sha256';
  const signature = sign(digest, Buffer.from(input), key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}
