// Attack: forged and malformed JWS access tokens presented to a resource server:
// `alg: none` and algorithm/key confusion (RFC 8725 s2.1 and s3.1; CVE-2015-9235,
// CVE-2016-5431), keys carried by the token itself (CVE-2018-0114; RFC 8725 s3.10 for
// `jku`/`x5u`), injection through `kid` (RFC 8725 s3.10), psychic ECDSA signatures
// (CVE-2022-21449), ambiguous JSON (RFC 7515 s4, RFC 7519 s4), non-compact input
// (RFC 7515 s7.1), and the RFC 9068 s4 validation rules (typ, iss, aud, time claims).
// Each case must end in 401 `invalid_token` (400 `invalid_request` where RFC 6750 s3.1
// calls the request malformed): never a 200, never a 500.
import { createHmac, randomBytes, sign } from 'node:crypto';
import { BearerTokenError, RequestAuthenticator } from '../src/index';
import { fixtureApp, PLATFORMS } from './fixture-app';
import { startStub, type HttpStub } from './http-stub';
import { AUDIENCE, claims, ISSUER, mint, testKey, type TestKey } from './token-factory';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];

const rsa = testKey('RS256');
const es = testKey('ES256');
const ed = testKey('EdDSA');
/** An EC key published in the JWKS, and configured locally, as if it were an RS256 key. */
const ecAsRsa = testKey('ES256', 'ec-declared-rs256');
const attacker = testKey('RS256');
/** The attacker's own key, under the kid of the issuer's RS256 key. */
const impostor = testKey('RS256', rsa.kid);

/** Signs with HMAC-SHA256 under `secret`, as a library confused about the key type would verify. */
function hs256(secret: string | Buffer, header: Record<string, unknown>, payload: Record<string, unknown> = claims()): string {
  const input = `${b64({ alg: 'HS256', typ: 'at+jwt', ...header })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** A token with an ECDSA signature in ASN.1 DER form: what node:crypto checks for an EC key when no `dsaEncoding` is set, as for RS256. */
function derEcdsa(key: TestKey, header: Record<string, unknown>, payload: Record<string, unknown> = claims()): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

/** Frozen clock of the time-claim cases, seconds since the epoch (far from the real clock on purpose). */
const NOW = 1_900_000_000;
const TOLERANCE_S = 30;

let jwks: HttpStub;
let keyHost: HttpStub;

beforeAll(async () => {
  jwks = await startStub((request) =>
    request.path === '/jwks.json' ? { json: { keys: [rsa.jwk, es.jwk, ed.jwk, { ...ecAsRsa.jwk, alg: 'RS256' }] } } : undefined,
  );
  // The attacker's key host: serves their JWKS to anyone who asks. Nobody may ask.
  keyHost = await startStub(() => ({ json: { keys: [attacker.jwk] } }));
});
afterAll(async () => {
  await jwks.close();
  await keyHost.close();
});

describe.each(PLATFORMS)('access-token guard under attack on %s', (platform) => {
  let main: Awaited<ReturnType<typeof fixtureApp>>;
  let frozen: Awaited<ReturnType<typeof fixtureApp>>;
  let fetchesBefore = 0;
  let startedAt = 0;

  beforeAll(async () => {
    fetchesBefore = jwks.count('/jwks.json');
    startedAt = Date.now();
    main = await fixtureApp(platform, { issuer: ISSUER, audience: AUDIENCE, keys: { jwksUri: `${jwks.url}/jwks.json` } });
    frozen = await fixtureApp(platform, {
      issuer: ISSUER,
      audience: AUDIENCE,
      clockToleranceSeconds: TOLERANCE_S,
      now: () => NOW,
      keys: {
        local: [
          { kid: rsa.kid, alg: 'RS256', key: rsa.publicKey },
          { kid: ecAsRsa.kid, alg: 'RS256', key: ecAsRsa.publicKey },
        ],
      },
    });
  });
  afterAll(async () => {
    await main.app.close();
    await frozen.app.close();
  });

  const send = (token: string, base = main.url) => fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } });
  const withAuthorization = (authorization: string) => fetch(`${main.url}/me`, { headers: { authorization } });

  async function expectInvalidToken(response: Response): Promise<void> {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]*", error="invalid_token"/);
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  }
  async function expectInvalidRequest(response: Response): Promise<void> {
    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_request"/);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  }

  it('accepts a well-formed token from each published key (positive control)', async () => {
    for (const key of [rsa, es, ed]) expect((await send(mint(key))).status).toBe(200);
    expect((await send(mint(rsa, claims({}, NOW)), frozen.url)).status).toBe(200);
  });

  it('keeps each AuthModule on its own audience when two run in one process (RFC 8725 s2.8 cross-JWT confusion)', async () => {
    const OTHER = 'https://other-api.example';
    const neighbour = await fixtureApp(platform, { issuer: ISSUER, audience: OTHER, keys: { local: [{ kid: rsa.kid, alg: 'RS256', key: rsa.publicKey }] } });
    try {
      expect((await send(mint(rsa))).status).toBe(200);
      await expectInvalidToken(await send(mint(rsa), neighbour.url));
      expect((await send(mint(rsa, claims({ aud: OTHER })), neighbour.url)).status).toBe(200);
      await expectInvalidToken(await send(mint(rsa, claims({ aud: OTHER }))));
    } finally {
      await neighbour.app.close();
    }
  });

  describe('alg: none (RFC 8725 s2.1, CVE-2015-9235)', () => {
    const variants = ['none', 'None', 'NONE', 'nOnE'].flatMap((alg) => [
      [alg, 'an empty signature', ''],
      [alg, 'a non-empty signature', 'x'],
    ]);
    it.each(variants)('refuses alg %s with %s', async (alg, _label, signature) => {
      const unsigned = `${b64({ alg, typ: 'at+jwt', kid: rsa.kid })}.${b64(claims())}`;
      const borrowed = signature ? parts(mint(rsa))[2] : '';
      await expectInvalidToken(await send(`${unsigned}.${borrowed}`));
    });
  });

  describe('HMAC with the public key as secret (RFC 8725 s2.1 key confusion, CVE-2016-5431)', () => {
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    it.each([
      ['the SPKI PEM', pem],
      ['the PKCS#1 PEM', rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string],
      ['the PEM without its final newline', pem.trimEnd()],
      ['the JWK JSON', JSON.stringify(rsa.jwk)],
      ['the DER bytes', rsa.publicKey.export({ type: 'spki', format: 'der' })],
    ])('refuses HS256 keyed with %s', async (_label, secret) => {
      await expectInvalidToken(await send(hs256(secret, { kid: rsa.kid })));
    });
  });

  describe('keys named by the token itself', () => {
    it('ignores an embedded `jwk` header carrying the attacker key (CVE-2018-0114, RFC 7515 s4.1.3)', async () => {
      await expectInvalidToken(await send(mint(attacker, claims(), { jwk: attacker.jwk })));
      await expectInvalidToken(await send(mint(attacker, claims(), { jwk: attacker.jwk, kid: undefined })));
      await expectInvalidToken(await send(mint(attacker, claims(), { jwk: { ...attacker.jwk, kid: rsa.kid }, kid: rsa.kid })));
    });

    it.each([
      ['jku', '/jwks.json'],
      ['x5u', '/cert.pem'],
    ])('never fetches a `%s` URL (RFC 8725 s3.10, RFC 7515 s4.1.2/s4.1.5)', async (member, path) => {
      const before = keyHost.requests.length;
      for (const kid of [attacker.kid, rsa.kid]) {
        await expectInvalidToken(await send(mint(attacker, claims(), { [member]: `${keyHost.url}${path}`, kid })));
      }
      expect(keyHost.requests.length - before).toBe(0);
    });
  });

  describe('injection through kid (RFC 8725 s3.10)', () => {
    const kids: [string, unknown][] = [
      ['path traversal ../../dev/null', '../../dev/null'],
      ['path traversal to a world-readable file', '../../../../../../etc/hostname'],
      ["SQL injection ' OR '1'='1", "' OR '1'='1"],
      ['SQL injection with UNION', "x' UNION SELECT 'secret' --"],
      ['5,000 characters long', 'k'.repeat(5_000)],
      ['an object (NoSQL operator)', { $ne: null }],
    ];
    it.each(kids)('refuses kid: %s, RSA-signed by the attacker', async (_label, kid) => {
      await expectInvalidToken(await send(mint(attacker, claims(), { kid })));
    });
    it.each([
      ['path traversal with an empty HMAC key', '../../dev/null', ''],
      ['SQL injection with a chosen HMAC key', "x' UNION SELECT 'secret' --", 'secret'],
    ])('refuses %s', async (_label, kid, secret) => {
      await expectInvalidToken(await send(hs256(secret, { kid })));
    });
  });

  describe('psychic signatures, r = s = 0 (CVE-2022-21449)', () => {
    const unsigned = () => `${b64({ alg: 'ES256', typ: 'at+jwt', kid: es.kid })}.${b64(claims())}`;
    it('refuses 64 zero bytes (R || S)', async () => {
      await expectInvalidToken(await send(`${unsigned()}.${b64(Buffer.alloc(64))}`));
    });
    it('refuses r = s = 0 in DER form', async () => {
      const der = Buffer.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]);
      await expectInvalidToken(await send(`${unsigned()}.${der.toString('base64url')}`));
    });
  });

  it('refuses a payload tampered with after signing (RFC 7515 s5.2)', async () => {
    const [h, , s] = parts(mint(rsa));
    await expectInvalidToken(await send(`${h}.${b64(claims({ scope: 'openid reports:read reports:write' }))}.${s}`));
  });

  it('refuses a token signed by another key under a published kid (RFC 7515 s5.2)', async () => {
    await expectInvalidToken(await send(mint(impostor)));
  });

  describe('alg / key type mismatch (RFC 8725 s3.1: one key, one algorithm)', () => {
    it('refuses an ES256 token whose JWK is published as RS256', async () => {
      await expectInvalidToken(await send(mint(ecAsRsa)));
      await expectInvalidToken(await send(derEcdsa(ecAsRsa, { alg: 'RS256', typ: 'at+jwt', kid: ecAsRsa.kid })));
    });
    it('refuses an ECDSA signature under alg RS256 when a local EC key is declared RS256', async () => {
      const header = { alg: 'RS256', typ: 'at+jwt', kid: ecAsRsa.kid };
      await expectInvalidToken(await send(mint(ecAsRsa, claims({}, NOW)), frozen.url));
      await expectInvalidToken(await send(derEcdsa(ecAsRsa, header, claims({}, NOW)), frozen.url));
    });
  });

  describe('explicit typing (RFC 9068 s4, RFC 8725 s3.11)', () => {
    it.each([['JWT'], ['jwt'], ['application/jwt'], ['at+jwt; charset=utf-8'], ['']])('refuses typ %j', async (typ) => {
      await expectInvalidToken(await send(mint(rsa, claims(), { typ })));
    });
    it('refuses a token without typ', async () => {
      await expectInvalidToken(await send(mint(rsa, claims(), { typ: undefined })));
    });
    it.each([['at+jwt'], ['AT+JWT'], ['At+Jwt'], ['application/at+jwt'], ['Application/AT+JWT']])(
      'accepts typ %j (media types compare case-insensitively, RFC 7515 s4.1.9)',
      async (typ) => {
        expect((await send(mint(rsa, claims(), { typ }))).status).toBe(200);
      },
    );
  });

  describe('issuer compared exactly (RFC 9068 s4, RFC 8414 s3.3)', () => {
    it.each([
      ['with a trailing slash', `${ISSUER}/`],
      ['with an upper-case host', ISSUER.replace('auth.test', 'AUTH.TEST')],
      ['over http', ISSUER.replace('https:', 'http:')],
      ['as a suffix match', `${ISSUER}.evil.example`],
    ])('refuses iss %s', async (_label, iss) => {
      await expectInvalidToken(await send(mint(rsa, claims({ iss }))));
    });
  });

  describe('audience (RFC 9068 s4, RFC 7519 s4.1.3, RFC 8725 s3.9)', () => {
    it.each([
      ['another audience', 'https://other-api.example'],
      ['an array without ours', ['https://other-api.example', 'https://third.example']],
      ['an empty array', []],
      ['a number', 123],
      ['an array with a non-string', [AUDIENCE, 1]],
      ['no aud at all', undefined],
    ])('refuses %s', async (_label, aud) => {
      await expectInvalidToken(await send(mint(rsa, claims({ aud }))));
    });
    it('accepts an array that contains ours', async () => {
      expect((await send(mint(rsa, claims({ aud: ['https://other-api.example', AUDIENCE] })))).status).toBe(200);
    });
  });

  describe(`time claims on a frozen clock, tolerance ${TOLERANCE_S} s (RFC 7519 s4.1.4-s4.1.6, RFC 9068 s4)`, () => {
    const at = (overrides: Record<string, unknown>) => send(mint(rsa, claims(overrides, NOW)), frozen.url);
    it('refuses exp = now - tolerance - 1 and exp = now - tolerance', async () => {
      await expectInvalidToken(await at({ exp: NOW - TOLERANCE_S - 1 }));
      await expectInvalidToken(await at({ exp: NOW - TOLERANCE_S }));
    });
    it('accepts exp = now + 1 and exp within the tolerance', async () => {
      expect((await at({ exp: NOW + 1 })).status).toBe(200);
      expect((await at({ exp: NOW - TOLERANCE_S + 1 })).status).toBe(200);
    });
    it('refuses nbf beyond the tolerance, accepts it within', async () => {
      await expectInvalidToken(await at({ nbf: NOW + TOLERANCE_S + 1 }));
      expect((await at({ nbf: NOW + TOLERANCE_S })).status).toBe(200);
    });
    it('refuses iat beyond the tolerance, accepts it within', async () => {
      await expectInvalidToken(await at({ iat: NOW + TOLERANCE_S + 1 }));
      expect((await at({ iat: NOW + TOLERANCE_S })).status).toBe(200);
    });
    it('uses the configured clock, not the system clock', async () => {
      // Valid by the real clock, long expired by the frozen one (NOW is years ahead).
      await expectInvalidToken(await send(mint(rsa, claims()), frozen.url));
    });
  });

  describe('time claims that are not numbers (RFC 7519 s2 NumericDate)', () => {
    it.each([
      ['exp as a string', { exp: '9999999999' }],
      ['exp as null', { exp: null }],
      ['exp as a boolean', { exp: true }],
      ['iat missing', { iat: undefined }],
      ['iat as a string', { iat: String(Math.floor(Date.now() / 1000)) }],
      ['nbf as a string', { nbf: '0' }],
    ])('refuses %s', async (_label, overrides) => {
      await expectInvalidToken(await send(mint(rsa, claims(overrides))));
    });
    it('refuses exp = 1e400 (Infinity once parsed)', async () => {
      const payload = JSON.stringify(claims()).replace(/"exp":\d+/, '"exp":1e400');
      await expectInvalidToken(await send(mint(rsa, payload)));
    });
  });

  describe('required claims, one missing at a time (RFC 9068 s2.2)', () => {
    it.each([['sub'], ['client_id'], ['jti'], ['iss'], ['exp']])('refuses a token without %s', async (claim) => {
      await expectInvalidToken(await send(mint(rsa, claims({ [claim]: undefined }))));
    });
    it.each([['sub'], ['client_id'], ['jti']])('refuses an empty %s', async (claim) => {
      await expectInvalidToken(await send(mint(rsa, claims({ [claim]: '' }))));
    });
  });

  describe('critical header parameters (RFC 7515 s4.1.11)', () => {
    it.each([
      ['an unknown extension', { crit: ['http://example.com/ext'], 'http://example.com/ext': true }],
      ['b64 (RFC 7797), not supported', { crit: ['b64'], b64: false }],
      ['an empty list', { crit: [] }],
    ])('refuses crit naming %s', async (_label, header) => {
      await expectInvalidToken(await send(mint(rsa, claims(), header)));
    });
  });

  describe('duplicate members (RFC 7515 s4, RFC 7519 s4)', () => {
    it('refuses {"alg":"RS256","alg":"none",...} in the header', async () => {
      await expectInvalidToken(await send(mint(rsa, claims(), `{"alg":"RS256","alg":"none","typ":"at+jwt","kid":"${rsa.kid}"}`)));
    });
    it('refuses {"alg":"none","alg":"RS256",...} in the header, validly signed (last-wins parsing would accept it)', async () => {
      await expectInvalidToken(await send(mint(rsa, claims(), `{"alg":"none","alg":"RS256","typ":"at+jwt","kid":"${rsa.kid}"}`)));
    });
    it('refuses a duplicate kid in the header', async () => {
      await expectInvalidToken(await send(mint(rsa, claims(), `{"alg":"RS256","typ":"at+jwt","kid":"${attacker.kid}","kid":"${rsa.kid}"}`)));
    });
    it('refuses {"sub":"alice","sub":"admin"} in the payload, validly signed', async () => {
      const payload = JSON.stringify(claims({ sub: 'admin' })).replace(/^\{/, '{"sub":"alice",');
      await expectInvalidToken(await send(mint(rsa, payload)));
    });
    it('refuses a duplicate hidden by a \\u escape ("sub" and "\\u0073ub")', async () => {
      const payload = JSON.stringify(claims({ sub: 'admin' })).replace(/^\{/, '{"\\u0073ub":"alice",');
      await expectInvalidToken(await send(mint(rsa, payload)));
    });
  });

  describe('input that is not a compact JWS (RFC 7515 s7.1)', () => {
    const valid = () => parts(mint(rsa));
    it.each([
      ['two parts', () => valid().slice(0, 2).join('.')],
      ['four parts', () => `${valid().join('.')}.${valid()[2]}`],
      ['five parts, JWE-like (RFC 7516 s9)', () => [b64({ alg: 'RSA-OAEP', enc: 'A256GCM', typ: 'at+jwt' }), ...[256, 12, 64, 16].map((n) => b64(randomBytes(n)))].join('.')],
      ['an empty header segment', () => `.${valid()[1]}.${valid()[2]}`],
      ['an empty payload segment', () => `${valid()[0]}..${valid()[2]}`],
      ['an empty signature segment', () => `${valid()[0]}.${valid()[1]}.`],
      ['only dots', () => '..'],
      ['a signature in standard base64 (+ and /) instead of base64url', () => {
        let [h, p, s] = valid();
        while (!/[-_]/.test(s)) [h, p, s] = valid();
        return `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}`;
      }],
      ['base64 padding', () => `${valid().join('.')}==`],
      ['a header of base64 non-JSON', () => mint(rsa, claims(), 'not json at all')],
      ['a payload of base64 non-JSON', () => mint(rsa, 'not json at all')],
      ['a JSON array payload', () => mint(rsa, JSON.stringify([claims()]))],
      ['a JSON string payload', () => mint(rsa, JSON.stringify('alice'))],
      ['a JSON null payload', () => mint(rsa, 'null')],
      ['a JSON array header', () => mint(rsa, claims(), JSON.stringify([{ alg: 'RS256', typ: 'at+jwt', kid: rsa.kid }]))],
    ])('refuses %s with invalid_token', async (_label, token) => {
      await expectInvalidToken(await send(token()));
    });

    it.each([
      ['whitespace inside the token', () => valid().join('. ')],
      ['a tab inside the token', () => valid().join('.\t')],
      ['characters outside b64token', () => `${valid().join('.')}*`],
      ['a quoted token', () => `"${valid().join('.')}"`],
    ])('refuses %s with invalid_request (RFC 6750 s2.1 b64token, s3.1)', async (_label, token) => {
      await expectInvalidRequest(await withAuthorization(`Bearer ${token()}`));
    });

    it('refuses a validly signed 20 KB token before parsing it, and keeps serving 10 KB ones', async () => {
      const sized = (chars: number) => mint(rsa, claims({ pad: 'x'.repeat(Math.floor((chars * 3) / 4) - 400) }));
      const big = sized(20_000);
      expect(big.length).toBeGreaterThan(19_000);
      // Over HTTP the server's header limit (16 KiB in Node) answers first, never 200 or 500.
      expect((await send(big)).status).toBe(431);
      // The library refuses it on its own, whatever the server's header limit.
      const authenticator = main.app.get(RequestAuthenticator);
      const refusal = await authenticator.authenticate({ method: 'GET', headers: { authorization: `Bearer ${big}` } }).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(BearerTokenError);
      expect(refusal).toMatchObject({ code: 'invalid_token' });
      expect((await send(sized(10_000))).status).toBe(200);
    });
  });

  describe('Authorization scheme (RFC 7235 s2.1: case-insensitive; RFC 6750 s2.1)', () => {
    it.each([['bearer'], ['BEARER'], ['bEaReR']])('accepts the scheme spelled %s', async (scheme) => {
      expect((await withAuthorization(`${scheme} ${mint(rsa)}`)).status).toBe(200);
    });
    it('answers a Basic header with 401 and no error code (RFC 6750 s3.1)', async () => {
      const response = await withAuthorization(`Basic ${Buffer.from('alice:secret').toString('base64')}`);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="${AUDIENCE}"`);
    });
    it('answers a Basic header carrying a valid JWT with 401 (the token is not a bearer credential there)', async () => {
      const response = await withAuthorization(`Basic ${mint(rsa)}`);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).not.toMatch(/error=/);
    });
  });

  it('never lets the key host of a jku/x5u header see a request', () => {
    expect(keyHost.requests).toHaveLength(0);
  });

  it('keeps JWKS fetches bounded despite the unknown kids above (one refetch per 30 s cooldown)', () => {
    const cooldowns = Math.ceil((Date.now() - startedAt) / 30_000);
    expect(jwks.count('/jwks.json') - fetchesBefore).toBeGreaterThanOrEqual(1);
    expect(jwks.count('/jwks.json') - fetchesBefore).toBeLessThanOrEqual(1 + cooldowns);
  });
});
