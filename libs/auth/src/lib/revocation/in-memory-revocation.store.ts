import type { RevocationStore } from './revocation-store.interface';

/** A single-process revocation list; entries disappear when their token would have expired. */
export class InMemoryRevocationStore implements RevocationStore {
  private readonly revoked = new Map<string, number>();

  constructor(private readonly now: () => number = () => Math.floor(Date.now() / 1000)) {}

  async isRevoked(jti: string): Promise<boolean> {
    const until = this.revoked.get(jti);
    if (until === undefined) return false;
    if (until <= this.now()) {
      this.revoked.delete(jti);
      return false;
    }
    return true;
  }

  async revoke(jti: string, expiresAt: number): Promise<void> {
    this.revoked.set(jti, expiresAt);
  }
}
