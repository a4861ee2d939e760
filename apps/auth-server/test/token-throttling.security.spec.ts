import { describeEachDatabase } from '@authkit/testing';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';
import { postForm, registerClient } from './user-grants.fixture';

// Online guessing and flooding (OWASP ASVS 5.0 V6.3.1 anti-automation; RFC 6749 s10.10 on
// guessing credentials; CWE-307): the token-bearing endpoints share the `token` throttling
// preset per client address (RATE_LIMIT_TOKEN_PER_MINUTE), answering 429 with Retry-After.

const LIMIT = 3; // requests per minute in this suite

describeEachDatabase('token-bearing endpoints are throttled per address', (database) => {
  let server: RunningAuthServer;

  beforeAll(async () => {
    // One trusted proxy hop: each test speaks from its own X-Forwarded-For address.
    server = await startAuthServer(database(), { RATE_LIMIT_TOKEN_PER_MINUTE: String(LIMIT), TRUST_PROXY: '1' });
    await registerClient(server, { client_id: 'guessed', grant_types: ['client_credentials'], scope: 'demo:read' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('client secret guessing at the token endpoint: after the limit, 429 with Retry-After, even for the right secret', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt <= LIMIT; attempt++) {
      const answer = await postForm(server, '/oauth2/token', { grant_type: 'client_credentials' }, { id: 'guessed', secret: `wrong-${attempt}`.padEnd(43, 'x') }, { 'x-forwarded-for': '203.0.113.1' });
      statuses.push(answer.status);
      if (answer.status === 429) {
        expect(answer.body['error']).toBe('too_many_requests');
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(answer.headers.get('cache-control')).toBe('no-store');
      }
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(401), 429]);
    // One budget per address for every endpoint of the preset.
    const userinfo = await fetch(`${server.url}/oauth2/userinfo`, { headers: { authorization: 'Bearer not.a.token', 'x-forwarded-for': '203.0.113.1' } });
    expect(userinfo.status).toBe(429);
  });

  it('token flooding of the UserInfo endpoint: after the limit, 429 with Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let attempt = 0; attempt <= LIMIT; attempt++) {
      const response = await fetch(`${server.url}/oauth2/userinfo`, { headers: { authorization: 'Bearer not.a.token', 'x-forwarded-for': '203.0.113.2' } });
      statuses.push(response.status);
      retryAfter = response.headers.get('retry-after');
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(401), 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});
