import { generateKeyPair as generateKeyPairCb, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { SigningAlgorithm } from '@authkit/config';

const generateKeyPair = promisify(generateKeyPairCb);

/** How each JWS algorithm (RFC 7518 s3.1, RFC 8037) maps onto node:crypto. */
export const ALGORITHMS: Record<SigningAlgorithm, { readonly digest: string | null; readonly dsaEncoding?: 'ieee-p1363' }> = {
  RS256: { digest: 'sha256' },
  ES256: { digest: 'sha256', dsaEncoding: 'ieee-p1363' }, // JWS wants R||S, not DER (RFC 7518 s3.4)
  EdDSA: { digest: null },
};

/** Generates a key pair for `alg`: RSA 2048 (RFC 7518 s3.3 minimum), P-256, or Ed25519. */
export async function generateSigningKeyPair(alg: SigningAlgorithm): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  switch (alg) {
    case 'RS256':
      return generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    case 'ES256':
      return generateKeyPair('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generateKeyPair('ed25519');
  }
}
