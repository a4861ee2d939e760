// Attack: client address spoofing through X-Forwarded-For (OWASP ASVS 5.0 V4.1.3;
// RFC 7239 s8.3). Only peers named by TRUST_PROXY may speak for the client.
import type { IncomingMessage } from 'node:http';
import { clientIpResolver } from './client-ip';

function request(peer: string, forwardedFor?: string): IncomingMessage {
  return {
    socket: { remoteAddress: peer },
    connection: { remoteAddress: peer },
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  } as unknown as IncomingMessage;
}

describe('clientIpResolver', () => {
  it('ignores X-Forwarded-For when no proxy is trusted', () => {
    expect(clientIpResolver(false)(request('203.0.113.9', '1.2.3.4'))).toBe('203.0.113.9');
  });

  it('ignores X-Forwarded-For from a peer outside the trusted CIDRs', () => {
    const ip = clientIpResolver(['10.0.0.0/8']);
    expect(ip(request('203.0.113.9', '1.2.3.4'))).toBe('203.0.113.9');
    expect(ip(request('10.1.2.3', '198.51.100.7'))).toBe('198.51.100.7');
  });

  it('takes no more hops than configured', () => {
    const ip = clientIpResolver(1);
    // The client forged the left-most entry; the trusted proxy appended the real one.
    expect(ip(request('10.0.0.1', '6.6.6.6, 198.51.100.7'))).toBe('198.51.100.7');
  });

  it('reports IPv4-mapped IPv6 peers as IPv4', () => {
    expect(clientIpResolver(false)(request('::ffff:127.0.0.1'))).toBe('127.0.0.1');
  });
});
