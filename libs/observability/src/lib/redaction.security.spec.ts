// Attack: credential disclosure through logs (OWASP ASVS 5.0 V16.2.5: logs must not
// contain credentials or session tokens; CWE-532). Every value planted here must be
// absent from the captured log lines.
import { findSecrets } from '@authkit/testing';
import { createLogger } from './logging';

function capture() {
  const lines: string[] = [];
  const logger = createLogger({
    service: 'test',
    logLevel: 'debug',
    trustProxy: false,
    logDestination: { write: (line: string) => void lines.push(line) },
  });
  return { logger, lines };
}

describe('log redaction', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
  const planted = ['hunter2-password', 'client-secret-0123456789abcdef0123', 'refresh-0123456789', '123456'];

  it('censors credential-named members at the top level and one level down', () => {
    const { logger, lines } = capture();
    logger.info({ password: planted[0], client_secret: planted[1], body: { refresh_token: planted[2], code: planted[3] } }, 'login');
    expect(findSecrets(lines.join(''), planted)).toEqual([]);
    expect(lines.join('')).toContain('[redacted]');
  });

  it('scrubs JWTs, bearer credentials and private keys from message text', () => {
    const { logger, lines } = capture();
    logger.warn(`token ${jwt} rejected; header Authorization: Bearer abcdefghijklmnop`);
    logger.error('-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----');
    const text = lines.join('');
    expect(findSecrets(text, [jwt, 'abcdefghijklmnop'])).toEqual([]);
    expect(text).toContain('[redacted-jwt]');
  });
});
