import type { ClientEntity } from '../clients/client.entity';

/**
 * True when `requested` may receive the browser after sign-out (OpenID Connect
 * RP-Initiated Logout 1.0 s3.1: it "MUST have been previously registered"), compared as
 * exact strings, without normalisation of case, port, path, trailing slash or query
 * (RFC 9700 s4.1.3 applied to this redirect too). No RFC 8252 loopback port exception here.
 *
 * One deliberate fallback: a client that registered NO `post_logout_redirect_uris` may
 * return to `<origin>/` (exactly the origin followed by `/`) of one of its registered
 * `redirect_uris`. The client already receives authorization codes on that origin, so
 * this sends nobody anywhere the client does not control; it is close to Keycloak's "+"
 * setting (post-logout URIs follow the redirect URIs). As soon as a client registers one
 * post-logout URI, only the registered ones count.
 */
export function postLogoutRedirectUriRegistered(
  client: Pick<ClientEntity, 'postLogoutRedirectUris' | 'redirectUris'>,
  requested: string,
): boolean {
  if (client.postLogoutRedirectUris.length > 0) return client.postLogoutRedirectUris.includes(requested);
  return client.redirectUris.some((registered) => originHome(registered) === requested);
}

/** `<origin>/` of an http(s) redirect URI; undefined for private-use schemes, which have no origin. */
function originHome(redirectUri: string): string | undefined {
  try {
    const url = new URL(redirectUri);
    return url.protocol === 'http:' || url.protocol === 'https:' ? `${url.origin}/` : undefined;
  } catch {
    return undefined;
  }
}
