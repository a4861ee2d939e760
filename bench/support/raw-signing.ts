// References for the endpoint benchmarks: raw node:crypto signing, measured in the same run.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { round } from './bench-kit';

export type Algorithm = 'RS256' | 'ES256' | 'EdDSA';

/** A JWT signing input shaped like auth-server's access tokens (RFC 9068 header and claims); `claims` override the defaults. */
export function signingInput(alg: Algorithm, claims: Record<string, unknown> = {}): Buffer {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg, typ: 'at+jwt', kid: randomBytes(12).toString('base64url') };
  const payload = {
    iss: 'http://127.0.0.1:3000',
    sub: 'bench',
    aud: 'http://localhost:4200/api',
    exp: now + 600,
    iat: now,
    jti: randomBytes(16).toString('base64url'),
    client_id: 'bench',
    scope: 'demo:read',
    ...claims,
  };
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return Buffer.from(`${encode(header)}.${encode(payload)}`);
}

/** Signatures made in some time; several samples add up. */
export interface Sample {
  readonly ops: number;
  readonly seconds: number;
}

export interface RawSigning {
  readonly opsPerSecond: number;
  readonly ops: number;
  readonly seconds: number;
}

export function rate(samples: readonly Sample[]): RawSigning {
  const ops = samples.reduce((n, x) => n + x.ops, 0);
  const seconds = samples.reduce((n, x) => n + x.seconds, 0);
  return { opsPerSecond: round(ops / seconds), ops, seconds: round(seconds, 3) };
}

/**
 * Synchronous crypto.sign in a tight loop on the main thread: what one core signs per
 * second with nothing else to do. 2048-bit RSA for RS256 (as auth-server generates),
 * P-256 for ES256, Ed25519 for EdDSA. The key is made once; each call signs for `seconds`.
 */
export function rawSigner(alg: Algorithm, claims: Record<string, unknown> = {}): (seconds: number) => Sample {
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  const digest = alg === 'EdDSA' ? null : 'sha256';
  const key = alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
  const data = signingInput(alg, claims);
  for (let i = 0; i < 50; i += 1) sign(digest, data, key); // warm-up
  return (seconds) => {
    let ops = 0;
    const start = performance.now();
    const deadline = start + seconds * 1000;
    while (performance.now() < deadline) {
      sign(digest, data, key);
      ops += 1;
    }
    return { ops, seconds: (performance.now() - start) / 1000 };
  };
}

/**
 * Context, not a reference: asynchronous crypto.sign (libuv threadpool, as auth-server signs)
 * with as many signatures in flight as the load has connections. Shows what the machine
 * gives to signing alone at that moment, which on a shared machine may be more or less
 * than one core.
 */
export async function threadpoolRs256Signing(seconds: number, inFlight: number): Promise<RawSigning> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const data = signingInput('RS256');
  const signOnce = () =>
    new Promise<void>((done, fail) => sign('sha256', data, privateKey, (error) => (error ? fail(error) : done())));
  let ops = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      await signOnce();
      ops += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (performance.now() - start) / 1000;
  return { opsPerSecond: round(ops / elapsed), ops, seconds: round(elapsed, 3) };
}
