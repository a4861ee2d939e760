import { verify as verifySignature } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { ALGORITHMS } from '../keys/key-algorithms';
import { SigningKeyService } from '../keys/signing-key.service';

/** The claims of an access token this server issued (RFC 9068 s2.2). */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  readonly scope: string;
  readonly auth_time?: number;
  readonly amr?: string[];
  readonly roles?: string[];
}

/**
 * Verifies access tokens that this server signed, for revocation, introspection and the
 * admin API: compact JWS only, `alg` equal to the algorithm of the key named by `kid`
 * (RFC 8725 s3.1), no `crit` (RFC 7515 s4.1.11), `typ` `at+jwt` (RFC 9068 s4), exact
 * `iss`, and well-typed claims. `jku`, `x5u` and `jwk` headers are never consulted.
 */
@Injectable()
export class OwnTokenVerifier {
  constructor(
    private readonly keys: SigningKeyService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  /** The claims when the signature and form are valid (expired or not), else null. */
  verify(token: string): AccessTokenClaims | null {
    if (token.length > 8192) return null;
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
    const header = decodeJson(encodedHeader);
    if (!header || typeof header['kid'] !== 'string' || 'crit' in header) return null;
    const typ = typeof header['typ'] === 'string' ? header['typ'].toLowerCase() : '';
    if (typ !== 'at+jwt' && typ !== 'application/at+jwt') return null;
    const key = this.keys.publicKey(header['kid']);
    if (!key || header['alg'] !== key.alg) return null;
    const { digest, dsaEncoding } = ALGORITHMS[key.alg];
    const signature = Buffer.from(encodedSignature, 'base64url');
    const signed = Buffer.from(`${encodedHeader}.${encodedPayload}`);
    const valid = verifySignature(digest, signed, dsaEncoding ? { key: key.publicKey, dsaEncoding } : key.publicKey, signature);
    if (!valid) return null;
    const claims = decodeJson(encodedPayload);
    if (!claims || !wellFormed(claims) || claims['iss'] !== this.config.issuer) return null;
    return claims as unknown as AccessTokenClaims;
  }
}

function decodeJson(segment: string): Record<string, unknown> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return null;
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function wellFormed(c: Record<string, unknown>): boolean {
  const str = (v: unknown) => typeof v === 'string';
  const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
  return (
    str(c['iss']) && str(c['sub']) && str(c['jti']) && str(c['client_id']) && str(c['scope']) &&
    int(c['exp']) && int(c['iat']) &&
    (str(c['aud']) || (Array.isArray(c['aud']) && c['aud'].every(str)))
  );
}
