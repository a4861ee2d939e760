import { verify as verifySignature } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { decodeCompactJws } from '@authkit/auth';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { ALGORITHMS } from '../keys/key-algorithms';
import { SigningKeyService } from '../keys/signing-key.service';

/** What a verified `id_token_hint` tells the end-session endpoint. */
export interface IdTokenHint {
  /** The user the ID token was issued for. */
  readonly sub: string;
  /** The client it was issued to: `azp`, or the single `aud` (OIDC Core s2). */
  readonly clientId: string;
}

/**
 * Verifies an `id_token_hint` (OpenID Connect RP-Initiated Logout 1.0 s2): an ID token
 * this server issued, checked against the server's own published keys: compact JWS only,
 * `alg` equal to the algorithm of the key named by `kid` (RFC 8725 s3.1), no `crit`,
 * header `typ` `JWT` as `IdTokenIssuer` writes it (an access token, `at+jwt`, is not an ID
 * token: RFC 8725 s3.11), exact `iss`, well-typed claims. `exp` is NOT checked: s2 says
 * the OP should accept an expired ID token as a hint, since an RP's user often signs out
 * long after the sign-in. A token signed by a key no longer published (retired past its
 * publication window) cannot be verified and counts as no hint.
 */
@Injectable()
export class IdTokenHintVerifier {
  constructor(
    private readonly keys: SigningKeyService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  /** The hint's user and client when it is an ID token this server signed, else undefined. */
  verify(token: string | undefined): IdTokenHint | undefined {
    if (token === undefined) return undefined;
    // Strict compact form with unique JSON members: the decoder resource servers use.
    const jws = decodeCompactJws(token);
    if (!jws) return undefined;
    const { header, payload: claims } = jws;
    if (typeof header['kid'] !== 'string' || 'crit' in header) return undefined;
    if (typeof header['typ'] !== 'string' || header['typ'].toUpperCase() !== 'JWT') return undefined;
    const key = this.keys.publicKey(header['kid']);
    if (!key || header['alg'] !== key.alg) return undefined;
    const { digest, dsaEncoding } = ALGORITHMS[key.alg];
    const valid = verifySignature(digest, Buffer.from(jws.signingInput), dsaEncoding ? { key: key.publicKey, dsaEncoding } : key.publicKey, jws.signature);
    if (!valid || claims['iss'] !== this.config.issuer) return undefined;
    return readHint(claims);
  }
}

/** `sub` and the client, when the claims are those of an ID token (OIDC Core s2). */
function readHint(c: Record<string, unknown>): IdTokenHint | undefined {
  const sub = c['sub'];
  const azp = c['azp'];
  const aud = typeof c['aud'] === 'string' ? [c['aud']] : c['aud'];
  if (typeof sub !== 'string' || sub === '' || !Array.isArray(aud) || aud.length === 0 || !aud.every((a) => typeof a === 'string')) return undefined;
  if (!Number.isInteger(c['exp']) || !Number.isInteger(c['iat'])) return undefined;
  // OIDC Core s2: with several audiences `azp` names the client, and it must be one of them.
  if (azp !== undefined && (typeof azp !== 'string' || !aud.includes(azp))) return undefined;
  const clientId = typeof azp === 'string' ? azp : aud.length === 1 ? aud[0] : undefined;
  return clientId === undefined ? undefined : { sub, clientId };
}
