import { metadataUrl } from './metadata-url';

describe('metadataUrl (RFC 8414 s3.1)', () => {
  it.each([
    ['https://auth.example.com', 'https://auth.example.com/.well-known/oauth-authorization-server'],
    ['https://auth.example.com/', 'https://auth.example.com/.well-known/oauth-authorization-server'],
    ['https://example.com/tenant/a', 'https://example.com/.well-known/oauth-authorization-server/tenant/a'],
    ['http://127.0.0.1:3000', 'http://127.0.0.1:3000/.well-known/oauth-authorization-server'],
  ])('%s -> %s', (issuer, expected) => expect(metadataUrl(issuer)).toBe(expected));
});
