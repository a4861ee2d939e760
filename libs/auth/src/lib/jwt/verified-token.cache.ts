import type { Principal } from '../principal';

interface Entry {
  readonly principal: Principal;
  readonly kid: string;
}

/**
 * A bounded cache of tokens whose signature and claims already verified, keyed by the
 * token itself (a Map compares strings by value; nothing is derived from an unverified
 * token). An entry lives until the token's `exp` and is dropped when its key leaves the
 * JWKS, as gateways such as Envoy do. Revocation is still checked on every request.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries: number) {}

  get(token: string, now: number): Principal | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.principal.expiresAt <= now) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.principal;
  }

  set(token: string, kid: string, principal: Principal): void {
    if (this.maxEntries <= 0) return;
    if (this.entries.size >= this.maxEntries) {
      // Evict the oldest insertion (Map keeps insertion order).
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, { principal, kid });
  }

  /** Drops every entry whose key is no longer published. */
  retainKeys(kids: ReadonlySet<string>): void {
    for (const [token, entry] of this.entries) if (!kids.has(entry.kid)) this.entries.delete(token);
  }

  get size(): number {
    return this.entries.size;
  }
}
