/**
 * Where revoked token ids are kept, shared between the authorization server and the
 * resource servers. The model is `@nestjs/throttler`'s storage interface: a small port
 * with an in-process default and a Redis implementation.
 */
export interface RevocationStore {
  /** True when the token id was revoked. Rejects when the store cannot answer. */
  isRevoked(jti: string): Promise<boolean>;
  /** Records a revocation until `expiresAt` (seconds since the epoch). */
  revoke(jti: string, expiresAt: number): Promise<void>;
}

/** Injection token of the {@link RevocationStore}. */
export const RevocationStore = Symbol('RevocationStore');

/** Key prefix shared with auth-server, which publishes `authkit:revoked:<jti>`. */
export const REVOKED_KEY_PREFIX = 'authkit:revoked:';
