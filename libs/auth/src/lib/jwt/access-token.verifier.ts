import { verify as verifySignature } from 'node:crypto';
import type { AcceptedAlgorithm } from '../auth-options.interface';
import type { KeySource, VerificationKey } from '../keys/key-source';
import type { Principal } from '../principal';
import { decodeCompactJws } from './compact-jws';
import { VerifiedTokenCache } from './verified-token.cache';

/** Why a token was refused; never shown to the caller beyond `invalid_token`. */
export type TokenRejection =
  | 'malformed'
  | 'algorithm'
  | 'type'
  | 'critical_header'
  | 'unknown_key'
  | 'signature'
  | 'claims'
  | 'issuer'
  | 'audience'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future';

export type VerificationResult = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: TokenRejection };

const NODE_ALGORITHMS: Record<AcceptedAlgorithm, { digest: string | null; options?: { dsaEncoding?: 'ieee-p1363'; padding?: number; saltLength?: number } }> = {
  RS256: { digest: 'sha256' },
  PS256: { digest: 'sha256', options: { padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 } },
  ES256: { digest: 'sha256', options: { dsaEncoding: 'ieee-p1363' } }, // R||S, RFC 7518 s3.4
  EdDSA: { digest: null },
};
const SIGNATURE_BYTES: Partial<Record<AcceptedAlgorithm, number>> = { ES256: 64, EdDSA: 64 };
/**
 * The key type each algorithm needs. RFC 8725 s3.1: each key is used with exactly one
 * algorithm, "checked when the cryptographic operation occurs"; node:crypto would otherwise
 * verify an `RS256` token with an EC key declared as RS256 (an ECDSA signature in DER form).
 */
const KEY_TYPES: Record<AcceptedAlgorithm, { readonly types: readonly string[]; readonly curve?: string }> = {
  RS256: { types: ['rsa'] },
  PS256: { types: ['rsa', 'rsa-pss'] },
  ES256: { types: ['ec'], curve: 'prime256v1' },
  EdDSA: { types: ['ed25519'] },
};

/**
 * Verifies RFC 9068 access tokens, in this order, each with one reason to fail:
 * compact form and unique members; `alg` in the allow-list (never `none`, never HMAC);
 * `typ` `at+jwt`; no `crit` (RFC 7515 s4.1.11: we understand no extension); a `kid` known
 * from the issuer's JWKS whose algorithm is exactly `alg` (RFC 8725 s3.1); the signature;
 * required claims well typed; `iss` exact; `aud` naming this resource server; `exp`,
 * `nbf`, `iat` within the clock tolerance. `jku`, `x5u`, `x5c` and `jwk` headers are never
 * fetched or trusted: keys come only from the issuer's key set.
 */
export class AccessTokenVerifier {
  private readonly cache: VerifiedTokenCache;
  private readonly audiences: ReadonlySet<string>;

  constructor(
    private readonly keys: KeySource,
    private readonly options: {
      readonly issuer: string;
      readonly audience: string | readonly string[];
      readonly algorithms: readonly AcceptedAlgorithm[];
      readonly clockToleranceSeconds: number;
      readonly cacheSize: number;
      readonly now: () => number;
    },
  ) {
    this.cache = new VerifiedTokenCache(options.cacheSize);
    this.audiences = new Set(typeof options.audience === 'string' ? [options.audience] : options.audience);
    keys.onChange((kids) => this.cache.retainKeys(kids));
  }

  async verify(token: string): Promise<VerificationResult> {
    const now = this.options.now();
    const cached = this.cache.get(token, now);
    if (cached) return { ok: true, principal: cached };
    const jws = decodeCompactJws(token);
    if (!jws) return { ok: false, reason: 'malformed' };
    const { header, payload } = jws;
    const alg = header['alg'];
    if (typeof alg !== 'string' || !(this.options.algorithms as readonly string[]).includes(alg)) return { ok: false, reason: 'algorithm' };
    const typ = typeof header['typ'] === 'string' ? header['typ'].toLowerCase() : '';
    if (typ !== 'at+jwt' && typ !== 'application/at+jwt') return { ok: false, reason: 'type' }; // RFC 9068 s4
    if ('crit' in header) return { ok: false, reason: 'critical_header' };
    const kid = header['kid'];
    if (typeof kid !== 'string' || kid.length > 256) return { ok: false, reason: 'unknown_key' };
    const key = await this.keys.get(kid);
    if (!key || key.alg !== alg) return { ok: false, reason: 'unknown_key' };
    if (!signatureValid(key, jws.signingInput, jws.signature)) return { ok: false, reason: 'signature' };
    const claimsCheck = this.checkClaims(payload, now);
    if (claimsCheck) return { ok: false, reason: claimsCheck };
    const principal = toPrincipal(payload);
    this.cache.set(token, kid, principal);
    return { ok: true, principal };
  }

  private checkClaims(c: Record<string, unknown>, now: number): TokenRejection | undefined {
    const tolerance = this.options.clockToleranceSeconds;
    const isString = (v: unknown) => typeof v === 'string' && v.length > 0;
    const isTime = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    // RFC 9068 s2.2: iss, exp, aud, sub, client_id, iat, jti are REQUIRED.
    if (!isString(c['iss']) || !isString(c['sub']) || !isString(c['client_id']) || !isString(c['jti'])) return 'claims';
    if (!isTime(c['exp']) || !isTime(c['iat'])) return 'claims';
    if (c['nbf'] !== undefined && !isTime(c['nbf'])) return 'claims';
    if (c['scope'] !== undefined && typeof c['scope'] !== 'string') return 'claims';
    if (c['roles'] !== undefined && !(Array.isArray(c['roles']) && c['roles'].every((r) => typeof r === 'string'))) return 'claims';
    if (c['amr'] !== undefined && !(Array.isArray(c['amr']) && c['amr'].every((r) => typeof r === 'string'))) return 'claims';
    if (c['auth_time'] !== undefined && !isTime(c['auth_time'])) return 'claims';
    if (c['iss'] !== this.options.issuer) return 'issuer'; // exact match, RFC 9068 s4
    const aud = c['aud'];
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? (aud as string[]) : null;
    if (!audiences || !audiences.some((a) => this.audiences.has(a))) return 'audience';
    if ((c['exp'] as number) <= now - tolerance) return 'expired';
    if (c['nbf'] !== undefined && (c['nbf'] as number) > now + tolerance) return 'not_yet_valid';
    if ((c['iat'] as number) > now + tolerance) return 'issued_in_future';
    return undefined;
  }
}

function signatureValid(key: VerificationKey, signingInput: string, signature: Buffer): boolean {
  const keyType = KEY_TYPES[key.alg];
  if (!keyType.types.includes(key.key.asymmetricKeyType ?? '')) return false;
  if (keyType.curve && key.key.asymmetricKeyDetails?.namedCurve !== keyType.curve) return false;
  const expected = SIGNATURE_BYTES[key.alg];
  if (expected !== undefined && signature.length !== expected) return false;
  // CVE-2022-21449 ("psychic signatures"): r = s = 0 must never verify.
  if (key.alg === 'ES256' && (signature.subarray(0, 32).every((b) => b === 0) || signature.subarray(32).every((b) => b === 0))) return false;
  const { digest, options } = NODE_ALGORITHMS[key.alg];
  try {
    return verifySignature(digest, Buffer.from(signingInput), options ? { key: key.key, ...options } : key.key, signature);
  } catch {
    return false;
  }
}

function toPrincipal(c: Record<string, unknown>): Principal {
  return Object.freeze({
    subject: c['sub'] as string,
    clientId: c['client_id'] as string,
    scopes: new Set(typeof c['scope'] === 'string' ? c['scope'].split(' ').filter(Boolean) : []),
    roles: (c['roles'] as string[] | undefined) ?? [],
    amr: (c['amr'] as string[] | undefined) ?? [],
    authTime: c['auth_time'] as number | undefined,
    tokenId: c['jti'] as string,
    expiresAt: c['exp'] as number,
    claims: Object.freeze({ ...c }),
  });
}
