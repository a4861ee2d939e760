import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/** Which peers' `X-Forwarded-For` is believed (`TRUST_PROXY`): hops, or addresses/CIDRs. */
export type TrustedProxies = false | number | readonly string[];

/**
 * Builds the function that derives a request's client address. Only `TRUST_PROXY`
 * decides whose `X-Forwarded-For` is believed: with nothing trusted, the socket peer is
 * the client, so a spoofed header from an untrusted peer changes nothing.
 */
export function clientIpResolver(trusted: TrustedProxies): (req: IncomingMessage) => string {
  let trust: (address: string, hop: number) => boolean;
  if (trusted === false) trust = () => false;
  else if (typeof trusted === 'number') trust = (_address, hop) => hop < trusted;
  else trust = proxyAddr.compile([...trusted]);
  return (req) => normalise(proxyAddr(req, trust));
}

/** `::ffff:127.0.0.1` is 127.0.0.1. */
function normalise(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
