import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectAppConfig, type AppConfig, type SigningAlgorithm } from '@authkit/config';
import { SigningKeyService } from '../keys/signing-key.service';

/**
 * Hash behind `at_hash` per signing algorithm (OIDC Core s3.1.3.6: the hash of the JWS
 * `alg`). RS256 and ES256 use SHA-256. For EdDSA, whose JWS `alg` names no hash, we follow
 * the OpenID "EdDSA" practice for Ed25519 (and node-oidc-provider): SHA-512.
 */
const AT_HASH_DIGEST: Record<SigningAlgorithm, string> = { RS256: 'sha256', ES256: 'sha256', EdDSA: 'sha512' };

/** What an ID token asserts: who signed in, when and how, for which client. */
export interface IdTokenGrant {
  readonly clientId: string;
  readonly subject: string;
  readonly authTime: number;
  readonly amr: readonly string[];
  /** The authorization request's `nonce`; absent on refresh (OIDC Core s12.2). */
  readonly nonce?: string;
  /** The access token issued with it, for `at_hash`. */
  readonly accessToken: string;
  /** Seconds the ID token lives: the access token's lifetime. */
  readonly expiresIn: number;
}

/**
 * Issues ID tokens (OIDC Core s2, s3.1.3.6): header `typ: JWT`, signed with the same key and
 * algorithm as access tokens. Identity claims only; `email` and `profile` claims are served
 * by the UserInfo endpoint, which OIDC Core s5.4 allows whenever an access token is issued.
 */
@Injectable()
export class IdTokenIssuer {
  private readonly atHashDigest: string;

  constructor(
    private readonly keys: SigningKeyService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {
    this.atHashDigest = AT_HASH_DIGEST[config.signingAlgorithm];
  }

  /** Signs an ID token for `grant`; `aud` and `azp` are the client (OIDC Core s2). */
  issue(grant: IdTokenGrant): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return this.keys.signJwt('JWT', {
      iss: this.config.issuer,
      sub: grant.subject,
      aud: grant.clientId,
      exp: now + grant.expiresIn,
      iat: now,
      auth_time: grant.authTime,
      amr: grant.amr,
      ...(grant.nonce !== undefined ? { nonce: grant.nonce } : {}),
      at_hash: atHash(grant.accessToken, this.atHashDigest),
      azp: grant.clientId,
    });
  }
}

/** OIDC Core s3.1.3.6: base64url of the left-most half of the hash of the token's ASCII octets. */
export function atHash(accessToken: string, digest: string): string {
  const hash = createHash(digest).update(accessToken, 'ascii').digest();
  return hash.subarray(0, hash.length / 2).toString('base64url');
}
