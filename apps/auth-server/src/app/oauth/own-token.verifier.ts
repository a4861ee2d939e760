import { verify as verifySignature } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { decodeCompactJws } from '@authkit/auth';
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
    // Strict compact form with unique JSON members: the same decoder resource servers use.
    const jws = decodeCompactJws(token);
    if (!jws) return null;
    const { header, payload: claims } = jws;
    if (typeof header['kid'] !== 'string' || 'crit' in header) return null;
    const typ = typeof header['typ'] === 'string' ? header['typ'].toLowerCase() : '';
    if (typ !== 'at+jwt' && typ !== 'application/at+jwt') return null;
    const key = this.keys.publicKey(header['kid']);
    if (!key || header['alg'] !== key.alg) return null;
    const { digest, dsaEncoding } = ALGORITHMS[key.alg];
    const signed = Buffer.from(jws.signingInput);
    const valid = verifySignature(digest, signed, dsaEncoding ? { key: key.publicKey, dsaEncoding } : key.publicKey, jws.signature);
    if (!valid || !wellFormed(claims) || claims['iss'] !== this.config.issuer) return null;
    return claims as unknown as AccessTokenClaims;
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
