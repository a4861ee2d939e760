/**
 * The authorization server metadata URL of an issuer (RFC 8414 s3.1): the well-known
 * suffix goes between the host and any path component of the issuer.
 */
export function metadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}
