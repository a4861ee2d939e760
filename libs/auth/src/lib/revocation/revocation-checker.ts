import type { RevocationOptions } from '../auth-options.interface';
import { metadataUrl } from '../keys/metadata-url';
import type { Principal } from '../principal';

const DEFAULT_INTROSPECTION_CACHE_MS = 30_000;
const MAX_INTROSPECTION_CACHE = 10_000;

/** `revoked`, `active`, or `unavailable` when the check could not run. */
export type RevocationVerdict = 'active' | 'revoked' | 'unavailable';

/**
 * Runs the configured revocation strategy on every request (never cached with the
 * signature): none, a shared store, or RFC 7662 introspection with a short cache.
 */
export class RevocationChecker {
  private readonly introspected = new Map<string, { active: boolean; until: number }>();
  private introspectionEndpoint: string | undefined;

  constructor(
    private readonly options: RevocationOptions,
    private readonly issuer: string,
    private readonly fetchFn: typeof fetch,
  ) {}

  async check(token: string, principal: Principal): Promise<RevocationVerdict> {
    try {
      switch (this.options.strategy) {
        case 'none':
          return 'active';
        case 'shared-store':
          return (await this.options.store.isRevoked(principal.tokenId)) ? 'revoked' : 'active';
        case 'introspection':
          return (await this.introspect(token)) ? 'active' : 'revoked';
      }
    } catch {
      return 'unavailable';
    }
  }

  private async introspect(token: string): Promise<boolean> {
    if (this.options.strategy !== 'introspection') return true;
    const now = Date.now();
    const cached = this.introspected.get(token);
    if (cached && cached.until > now) return cached.active;
    const endpoint = await this.endpoint();
    const { clientId, clientSecret, authMethod } = this.options;
    const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (authMethod === 'client_secret_post') {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    } else {
      // RFC 6749 s2.3.1: id and secret are form-encoded before Basic encoding.
      const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
      headers['authorization'] = `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`;
    }
    const response = await this.fetchFn(endpoint, {
      method: 'POST',
      headers,
      body: form.toString(),
      redirect: 'error',
      signal: AbortSignal.timeout(3_000),
    });
    if (!response.ok) throw new Error(`introspection answered ${response.status}`);
    const { active } = (await response.json()) as { active?: unknown };
    if (typeof active !== 'boolean') throw new Error('introspection answer has no active member');
    if (this.introspected.size >= MAX_INTROSPECTION_CACHE) this.introspected.clear();
    this.introspected.set(token, { active, until: now + (this.options.cacheTtlMs ?? DEFAULT_INTROSPECTION_CACHE_MS) });
    return active;
  }

  private async endpoint(): Promise<string> {
    if (this.introspectionEndpoint) return this.introspectionEndpoint;
    const response = await this.fetchFn(metadataUrl(this.issuer), { redirect: 'error', signal: AbortSignal.timeout(5_000) });
    const metadata = (await response.json()) as { issuer?: unknown; introspection_endpoint?: unknown };
    if (metadata.issuer !== this.issuer || typeof metadata.introspection_endpoint !== 'string') {
      throw new Error('no introspection endpoint in the issuer metadata');
    }
    this.introspectionEndpoint = metadata.introspection_endpoint;
    return this.introspectionEndpoint;
  }
}
