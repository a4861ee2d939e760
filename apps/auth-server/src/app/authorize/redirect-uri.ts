import type { ClientEntity } from '../clients/client.entity';

/** RFC 8252 s7.3: loopback IP literals (never the name `localhost`, s8.3). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);

/**
 * True when `requested` is one of the client's registered redirect URIs, compared as
 * exact strings (RFC 9700 s2.1, s4.1.3; OAuth 2.1 s2.3.1): no normalisation of case,
 * trailing slashes, encoding or query. The single exception is RFC 8252 s7.3: for a public
 * native client whose registered URI is an `http` loopback IP literal, any port is allowed
 * when everything else is identical.
 */
export function redirectUriRegistered(client: Pick<ClientEntity, 'redirectUris' | 'tokenEndpointAuthMethod'>, requested: string): boolean {
  if (client.redirectUris.includes(requested)) return true;
  if (client.tokenEndpointAuthMethod !== 'none') return false;
  const candidate = loopbackWithoutPort(requested);
  return candidate !== undefined && client.redirectUris.some((registered) => loopbackWithoutPort(registered) === candidate);
}

/** The URI with its port removed, when it is an `http` loopback IP literal with no userinfo or fragment. */
function loopbackWithoutPort(uri: string): string | undefined {
  const match = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?(\/[^#]*)?$/.exec(uri);
  if (!match || !LOOPBACK_HOSTS.has(match[1]!)) return undefined;
  if (match[2] !== undefined && (Number(match[2]) < 1 || Number(match[2]) > 65535)) return undefined;
  return `http://${match[1]}${match[3] ?? ''}`;
}
