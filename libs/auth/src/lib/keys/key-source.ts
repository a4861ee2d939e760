import { KeyObject } from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import type { AcceptedAlgorithm } from '../auth-options.interface';
import { metadataUrl } from './metadata-url';

/** A verification key with the one algorithm it may be used with (RFC 8725 s3.1). */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: AcceptedAlgorithm;
  readonly key: KeyObject;
}

const REFRESH_COOLDOWN_MS = 30_000; // an unknown kid refetches the JWKS at most this often
const MAX_AGE_MS = 600_000; // the JWKS is refetched in the background after this
const FETCH_TIMEOUT_MS = 5_000;
const MAX_JWKS_BYTES = 256 * 1024;
const MIN_RSA_BITS = 2048; // RFC 7518 s3.3

/**
 * The authorization server's public keys: found through its discovery document (or a
 * given `jwks_uri`, or local keys), cached, refetched when a token names an unknown `kid`
 * (at most once per cooldown, never per request) and when the set is older than
 * {@link MAX_AGE_MS}. jose imports and validates each JWK; verification then uses the
 * node:crypto `KeyObject`, several times faster than WebCrypto on Node 20.
 */
export class KeySource {
  private keys = new Map<string, VerificationKey>();
  private fetchedAt = 0;
  private lastAttempt = 0;
  private inflight: Promise<void> | undefined;
  private jwksUri: string | undefined;
  private readonly listeners: ((kids: ReadonlySet<string>) => void)[] = [];

  constructor(
    private readonly options: {
      readonly issuer: string;
      readonly jwksUri?: string;
      readonly local?: readonly VerificationKey[];
      readonly algorithms: readonly AcceptedAlgorithm[];
      readonly fetch: typeof fetch;
    },
  ) {
    if (options.local) this.keys = new Map(options.local.map((k) => [k.kid, k]));
  }

  /** Called with the current kids whenever the set changes (the verified-token cache listens). */
  onChange(listener: (kids: ReadonlySet<string>) => void): void {
    this.listeners.push(listener);
  }

  /**
   * The key for `kid`, refetching the set once per cooldown when it is unknown.
   * @throws Error when the set cannot be fetched at all (the caller fails closed).
   */
  async get(kid: string): Promise<VerificationKey | undefined> {
    if (this.options.local) return this.keys.get(kid);
    const now = Date.now();
    if (this.fetchedAt === 0) await this.refresh();
    else if (now - this.fetchedAt > MAX_AGE_MS) void this.refresh().catch(() => undefined);
    const key = this.keys.get(kid);
    if (key || now - this.lastAttempt < REFRESH_COOLDOWN_MS) return key;
    await this.refresh();
    return this.keys.get(kid);
  }

  /** Fetches the JWKS now (one fetch at a time). */
  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async load(): Promise<void> {
    this.lastAttempt = Date.now();
    this.jwksUri ??= this.options.jwksUri ?? (await this.discoverJwksUri());
    const jwksUri = this.jwksUri;
    const jwks = (await this.getJson(jwksUri)) as { keys?: unknown };
    if (!Array.isArray(jwks.keys)) throw new Error('the JWKS has no keys array');
    const keys = new Map<string, VerificationKey>();
    for (const jwk of jwks.keys as JWK[]) {
      const alg = algorithmOf(jwk);
      if (!jwk.kid || !alg || !this.options.algorithms.includes(alg) || (jwk.use && jwk.use !== 'sig')) continue;
      if ('d' in jwk || jwk.kty === 'oct') continue; // never a private or symmetric key
      try {
        const imported = await importJWK(jwk, alg);
        if (imported instanceof Uint8Array) continue;
        const key = KeyObject.from(imported);
        if (key.asymmetricKeyType?.startsWith('rsa') && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) continue;
        keys.set(jwk.kid, { kid: jwk.kid, alg, key });
      } catch {
        // a malformed key is skipped; the others still serve
      }
    }
    this.keys = keys;
    this.fetchedAt = Date.now();
    const kids = new Set(keys.keys());
    for (const listener of this.listeners) listener(kids);
  }

  private async discoverJwksUri(): Promise<string> {
    const metadata = (await this.getJson(metadataUrl(this.options.issuer))) as {
      issuer?: unknown;
      jwks_uri?: unknown;
    };
    // RFC 8414 s3.3: the metadata must name exactly the issuer it was fetched for.
    if (metadata.issuer !== this.options.issuer) throw new Error('the discovery document names another issuer');
    if (typeof metadata.jwks_uri !== 'string') throw new Error('the discovery document has no jwks_uri');
    return metadata.jwks_uri;
  }

  private async getJson(url: string): Promise<unknown> {
    const response = await this.options.fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`GET ${new URL(url).pathname} answered ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_JWKS_BYTES) throw new Error('the document is too large');
    return JSON.parse(text);
  }
}

/** The algorithm a JWK may verify: its `alg`, or the one its key type implies. */
function algorithmOf(jwk: JWK): AcceptedAlgorithm | undefined {
  if (jwk.alg) return ['RS256', 'PS256', 'ES256', 'EdDSA'].includes(jwk.alg) ? (jwk.alg as AcceptedAlgorithm) : undefined;
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined; // an RSA key without alg could be RS256 or PS256: refuse to guess
}
