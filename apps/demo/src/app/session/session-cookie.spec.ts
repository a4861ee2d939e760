import { cookieNames, readCookie, serializeCookie } from './session-cookie';

describe('demo cookies', () => {
  it('uses demo_session on http and __Host-demo_session (Secure) on https (CONTRACT, RFC 6265bis s4.1.3.2)', () => {
    expect(cookieNames('http://localhost:4200')).toEqual({ session: 'demo_session', login: 'demo_login', secure: false });
    const https = cookieNames('https://demo.example.com');
    expect(https).toEqual({ session: '__Host-demo_session', login: '__Host-demo_login', secure: true });
    expect(serializeCookie(https.session, 'id', { secure: true, maxAgeSeconds: 60 })).toBe('__Host-demo_session=id; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=60');
    expect(serializeCookie('demo_session', '', { secure: false, maxAgeSeconds: 0 })).toBe('demo_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
  });

  it('reads one cookie by exact name', () => {
    expect(readCookie('a=1; demo_session=abc; b=2', 'demo_session')).toBe('abc');
    expect(readCookie('xdemo_session=abc', 'demo_session')).toBeUndefined();
    expect(readCookie('demo_session=', 'demo_session')).toBeUndefined();
    expect(readCookie(undefined, 'demo_session')).toBeUndefined();
  });

  // Cookie tossing (CWE-565): a second cookie of the same name, e.g. set by a sibling subdomain.
  it('trusts neither of two cookies with the same name (CWE-565)', () => {
    expect(readCookie('demo_session=victim; demo_session=attacker', 'demo_session')).toBeUndefined();
  });
});
