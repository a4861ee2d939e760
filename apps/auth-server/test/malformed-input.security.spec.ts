// Malformed and hostile input on every route of auth-server: CWE-20 improper input
// validation and CWE-209 error message information exposure (stack traces), with CWE-400
// uncontrolled resource consumption (deep nesting, oversized bodies, headers and cookies),
// CWE-1321 prototype pollution (`__proto__`, `constructor`, `toString` names), CWE-158 and
// CWE-176 (NUL bytes, lone surrogates, undecodable percent-encoding, unicode) and CWE-22 path
// traversal in path parameters. The rule (STYLE.md: never a 500 for bad input; RFC 9110
// s15.5: a client error is a 4xx) is checked on every answer: status below 500, no stack
// frame, a JSON error body with a string `error`; and afterwards the server is healthy and
// has lost no data (the audit hash chain still verifies).
//
// Two passes. The route table comes from the running Fastify instance, so a route added
// later is fuzzed without touching this file: hostile paths, queries, bodies and headers,
// anonymously and with an admin token. Then requests the server accepts (an authorization
// request with a live session, the sign-in and consent forms with their CSRF tokens, token,
// revocation, introspection, sign-out and admin calls) are replayed with one parameter
// hostile at a time, so the values reach the handlers behind the first checks.
//
// Each request is sent raw (node:http) on a connection of its own, from its own
// X-Forwarded-For address (one trusted proxy hop), so the sign-in throttle per address does
// not hide the handlers.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describeEachDatabase, encodeFields, fieldQueryCases, fuzzReport, HOSTILE_ENCODED_VALUES, probeOf, routesOf, type Case, type Probe, type Route } from '@authkit/testing';
import { UserService } from '../src/app/users/user.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';
import { Browser, hiddenFields, pkcePair } from './sign-in.browser';
import { registerClient } from './user-grants.fixture';

const BODY_LIMIT_BYTES = 64 * 1024; // auth-server's bodyLimit (src/server.ts)
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const ACTOR = { type: 'system', id: 'test' } as const;
const VICTIM = { email: 'victim@fuzz.test', password: 'correct horse battery staple' } as const;
/** Asks for consent, so the consent form can be fuzzed. */
const CONSENTING = { clientId: 'fuzz-consenting', redirectUri: 'https://consenting.fuzz.test/callback' } as const;
/** Skips consent: with a live session, one authorization request issues a code. */
const FIRST_PARTY = { clientId: 'fuzz-first-party', redirectUri: 'https://first-party.fuzz.test/callback' } as const;
/** Changed by the admin calls that are fuzzed; nothing else relies on it. */
const PATCHED_CLIENT = 'fuzz-patched';
const USER_SCOPE = 'openid email offline_access';

/**
 * Parameter names the endpoints read (OAuth 2.0 and OpenID Connect requests, the sign-in and
 * sign-out forms, admin bodies and the audit query); each hostile value goes into all of
 * them at once. At most 50, the form endpoints' parameter limit.
 */
const FIELDS = [
  'grant_type', 'client_id', 'client_secret', 'code', 'code_verifier', 'redirect_uri', 'refresh_token', 'scope',
  'resource', 'token', 'token_type_hint', 'client_assertion', 'client_assertion_type', 'response_type', 'response_mode',
  'state', 'nonce', 'code_challenge', 'code_challenge_method', 'prompt', 'max_age', 'id_token_hint',
  'post_logout_redirect_uri', 'logout', 'email', 'password', 'csrf_token', 'authorization_request', 'decision',
  'client_name', 'grant_types', 'redirect_uris', 'token_endpoint_auth_method', 'jwks', 'jwks_uri',
  'post_logout_redirect_uris', 'resources', 'skip_consent', 'access_token_ttl', 'refresh_token_ttl', 'grace_seconds',
  'roles', 'limit', 'type', 'user', 'from', 'to', 'cursor',
] as const;

/** Hostile values for forms, query strings and path segments, percent-encoded as sent. */
const ENCODED_VALUES: readonly (readonly [string, string])[] = [
  ...HOSTILE_ENCODED_VALUES,
  ['a number past every range', '99999999999999999999'],
  ["a time outside PostgreSQL's range", '-200000-01-01T00%3A00%3A00Z'],
  ['an opaque cursor past the 64-bit range', Buffer.from('seq:9999999999999999999').toString('base64url')],
];

/** Hostile JSON values: every wrong type and edge. */
const JSON_VALUES: readonly (readonly [string, unknown])[] = [
  ['null', null],
  ['a negative number', -1],
  ['a huge number', 1e308],
  ['a fraction', 0.5],
  ['true', true],
  ['an empty array', []],
  ['an array of repeats', ['x', 'x']],
  ['an object', { toString: 'x' }],
  ['a NUL character', 'a\u0000b'],
  ['a lone surrogate', '\ud800'],
  ['2,000 characters', 'x'.repeat(2_000)],
  ['an array holding a URL with a NUL byte', ['https://fuzz.test/a\u0000b']],
];

/** A request the server accepts, fuzzed by replacing one parameter at a time. */
interface GoodRequest {
  readonly method: string;
  readonly path: string;
  readonly encoding: 'query' | 'form' | 'json';
  readonly params: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The positions of a template's path parameters (`:id`, or `:id|:user` where two routes share one). */
function parameterPositions(template: string): number[] {
  return template.split('/').flatMap((segment, i) => (segment.startsWith(':') ? [i] : []));
}

/** `template` with the parameter at `position` set to `hostile`, the others to `known(collection)`. */
function fillPath(template: string, known: (collection: string, last: boolean) => string, position?: number, hostile?: string): string {
  const segments = template.split('/');
  const last = parameterPositions(template).at(-1);
  return segments
    .map((segment, i) => (i === position ? hostile! : segment.startsWith(':') ? known(segments[i - 1] ?? '', i === last) : segment))
    .join('/');
}

const encodeAll = (encodedValue: string) => encodeFields(FIELDS, encodedValue);
const jsonAll = (value: unknown) => JSON.stringify(Object.fromEntries(FIELDS.map((name) => [name, value])));
const DEEP = 5_000; // levels: far beyond any legitimate document
const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const MULTIPART_BOUNDARY = 'fuzzboundary';
const MULTIPART = [
  `--${MULTIPART_BOUNDARY}`,
  'Content-Disposition: form-data; name="grant_type"',
  '',
  'client_credentials',
  `--${MULTIPART_BOUNDARY}`,
  'Content-Disposition: form-data; name="file"; filename="../../etc/passwd"',
  'Content-Type: application/octet-stream',
  '',
  '\u0000\u0001binary',
  `--${MULTIPART_BOUNDARY}--`,
  '',
].join('\r\n');

/** Bodies of each content type: malformed, nested, polluting, oversized. */
function bodyCases(): Case[] {
  const json = (name: string, body: string | Buffer): Case => ({ name: `JSON: ${name}`, headers: { 'content-type': JSON_TYPE }, body });
  const form = (name: string, body: string, extra: Partial<Case> = {}): Case => ({ name: `form: ${name}`, headers: { 'content-type': FORM }, body, ...extra });
  return [
    { name: 'no body' },
    json('empty body', ''),
    json('malformed ({)', '{'),
    json('an array', '[1,"a",null,{}]'),
    json('a bare string', '"x"'),
    json('a bare null', 'null'),
    json(`arrays nested ${DEEP} deep`, deepArray(DEEP)),
    json(`objects nested ${DEEP} deep`, '{"a":'.repeat(DEEP) + '{}' + '}'.repeat(DEEP)),
    json('members nested 2,000 deep', JSON.stringify({ jwks: { keys: 0 }, roles: 0, grant_types: 0 }).replaceAll('0', deepArray(2_000))),
    json('__proto__, constructor and toString members', '{"__proto__":{"admin":true,"scope":"admin"},"constructor":{"prototype":{"admin":true}},"toString":"x","valueOf":1,"hasOwnProperty":null}'),
    json('invalid UTF-8 bytes', Buffer.concat([Buffer.from('{"email":"'), Buffer.from([0xff, 0xfe, 0xc0, 0x80]), Buffer.from('"}')])),
    ...JSON_VALUES.map(([name, value]) => json(`every member ${name}`, jsonAll(value))),
    form('empty body', ''),
    form('repeated parameters', `${encodeAll('a')}&${encodeAll('b')}`),
    form('__proto__, constructor and toString names', '__proto__=x&__proto__%5Badmin%5D=1&constructor=x&constructor%5Bprototype%5D%5Badmin%5D=1&toString=x&hasOwnProperty=x'),
    form('names without values or with brackets', 'client_id&scope[]=x&&=&==&grant_type[0]=a'),
    ...ENCODED_VALUES.map(([name, value]) => form(`every field ${name}`, encodeAll(value))),
    form('a 60 KB value', `client_id=${'x'.repeat(60 * 1024)}`),
    form('a 100 KB value, over the body limit', `client_id=${'x'.repeat(100 * 1024)}`, { oversized: true }),
    form('charset=utf-16', encodeAll('x'), { headers: { 'content-type': `${FORM}; charset=utf-16` } }),
    { name: 'text/plain', headers: { 'content-type': 'text/plain' }, body: 'grant_type=client_credentials' },
    { name: 'multipart/form-data with a boundary', headers: { 'content-type': `multipart/form-data; boundary=${MULTIPART_BOUNDARY}` }, body: MULTIPART },
    { name: 'multipart/form-data without a boundary', headers: { 'content-type': 'multipart/form-data' }, body: MULTIPART },
    { name: 'application/xml with an external entity', headers: { 'content-type': 'application/xml' }, body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>' },
    { name: 'no content type', body: encodeAll('x') },
    { name: 'a content type that is not type/subtype', headers: { 'content-type': 'form' }, body: encodeAll('x') },
    { name: 'a body over 64 KiB', headers: { 'content-type': JSON_TYPE }, body: JSON.stringify({ client_name: 'x'.repeat(BODY_LIMIT_BYTES) }), oversized: true },
  ];
}

/** The same hostile forms in the query string: the shared ones, then those naming parameters read here. */
function queryCases(): Case[] {
  return [
    ...fieldQueryCases(FIELDS, ENCODED_VALUES),
    { name: 'query: __proto__, constructor and toString names', query: '__proto__=x&__proto__[admin]=1&constructor[prototype][admin]=1&toString=x&hasOwnProperty=x' },
    { name: 'query: an 8 KB value', query: `client_id=${'x'.repeat(8 * 1024)}` },
    { name: 'query: a 100 KB value', query: `client_id=${'x'.repeat(100 * 1024)}`, oversized: true },
  ];
}

/** Hostile headers: credentials, cookies, origin, proxy. */
function headerCases(): Case[] {
  const unsignedJwt = ['{"alg":"none","typ":"at+jwt"}', '{"scope":"admin","exp":9999999999}'].map((part) => Buffer.from(part).toString('base64url')).join('.');
  return [
    { name: 'Authorization: Basic %%%', headers: { authorization: 'Basic %%%' } },
    { name: 'Authorization: Basic with NUL id and secret', headers: { authorization: `Basic ${Buffer.from('%00:\u0000').toString('base64')}` } },
    { name: 'Authorization: Bearer + 10 KB', headers: { authorization: `Bearer ${'a'.repeat(10 * 1024)}` } },
    { name: 'Authorization: Bearer a b c', headers: { authorization: 'Bearer a b c' } },
    { name: 'Authorization: Bearer with an unsigned alg:none JWT (RFC 8725 s2.1)', headers: { authorization: `Bearer ${unsignedJwt}.` } },
    { name: 'Authorization: Bearer with segments that are not JSON', headers: { authorization: `Bearer ${['{', '['].map((part) => Buffer.from(part).toString('base64url')).join('.')}.` } },
    { name: 'Authorization: an unknown scheme with a latin-1 byte', headers: { authorization: 'Negotiate \u00e9' } },
    { name: 'Cookie: auth_session=%', headers: { cookie: 'auth_session=%; auth_csrf=%' } },
    { name: 'Cookie: a 6 KB auth_session', headers: { cookie: `auth_session=${'a'.repeat(6 * 1024)}` } },
    { name: 'Cookie: repeated and malformed pairs', headers: { cookie: 'auth_session=a; auth_session=b; =; ;;; auth_csrf' } },
    { name: 'Origin: null', headers: { origin: 'null' } },
    { name: 'X-Forwarded-For: not an address', headers: { 'x-forwarded-for': 'not-an-ip, %00, 999.999.999.999' } },
  ];
}

/** A `GoodRequest` with one parameter changed. */
interface Mutation {
  readonly name: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** A `GoodRequest` with one parameter hostile (or missing, or repeated), for each parameter and value. */
function mutationsOf(good: GoodRequest): Mutation[] {
  const mutations: Mutation[] = [];
  const names = Object.keys(good.params);
  const emit = (name: string, encoded: string) => {
    if (good.encoding === 'query') mutations.push({ name, path: `${good.path}?${encoded}`, headers: { ...good.headers } });
    else mutations.push({ name, path: good.path, headers: { 'content-type': good.encoding === 'json' ? JSON_TYPE : FORM, ...good.headers }, body: encoded });
  };
  for (const target of names) {
    if (good.encoding === 'json') {
      const without = Object.fromEntries(Object.entries(good.params).filter(([n]) => n !== target));
      emit(`${target} missing`, JSON.stringify(without));
      for (const [label, value] of JSON_VALUES) emit(`${target}: ${label}`, JSON.stringify({ ...good.params, [target]: value }));
      continue;
    }
    const pairs = (value?: string, repeat = false) =>
      Object.entries(good.params)
        .flatMap(([n, v]) => {
          const own = `${encodeURIComponent(n)}=${encodeURIComponent(String(v))}`;
          if (n !== target) return [own];
          if (value === undefined) return repeat ? [own, own] : [];
          return [`${encodeURIComponent(n)}=${value}`];
        })
        .join('&');
    emit(`${target} missing`, pairs());
    emit(`${target} repeated`, pairs(undefined, true));
    for (const [label, value] of ENCODED_VALUES) emit(`${target}: ${label}`, pairs(value));
  }
  return mutations;
}

describeEachDatabase('malformed input never gets a 5xx or a stack trace (CWE-20, CWE-209)', (database) => {
  let server: RunningAuthServer;
  let routes: Route[];
  let adminToken: string;
  let victimId: string;
  /** A user the route pass may disable, enable and look up: not the signed-in victim. */
  let otherId: string;
  /** Known-good requests, by what they exercise; the sign-out confirmation runs last, on its own. */
  const good = new Map<string, GoodRequest>();
  let signOutConfirmation: GoodRequest;
  let addressCounter = 0;
  const counts: Record<string, number> = {};

  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

  async function tokenRequest(authorization: string, params: Record<string, string>): Promise<Record<string, string>> {
    const response = await fetch(`${server.url}/oauth2/token`, { method: 'POST', headers: { authorization, 'content-type': FORM }, body: new URLSearchParams(params) });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, string>;
  }

  const admin = async (method: string, path: string) => {
    const response = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${adminToken}` } });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  function authorizationParams(client: { clientId: string; redirectUri: string }): Record<string, string> {
    return { response_type: 'code', client_id: client.clientId, redirect_uri: client.redirectUri, scope: USER_SCOPE, state: 'st', nonce: 'n', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', max_age: '3600' };
  }

  function probe(identity: string, method: string, path: string, testCase: Case, authorization?: string): Probe {
    // The throttler counts IPv6 clients per /64: each request gets a /64 of its own.
    const n = ++addressCounter;
    const headers: Record<string, string> = { 'x-forwarded-for': `2001:db8:${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}::1` };
    if (authorization) headers['authorization'] = authorization;
    return probeOf(identity, method, path, testCase, headers);
  }

  /** The route-table pass for one identity: every route with every case, and hostile path parameters. */
  function routeProbes(identity: string, authorization: string | undefined): Probe[] {
    const probes: Probe[] = [];
    const ids: Record<string, string> = { clients: PATCHED_CLIENT, consents: CONSENTING.clientId, users: otherId };
    const bodies = bodyCases();
    const queries = queryCases();
    // With a token, the credential cases would only repeat the anonymous pass.
    const headers = headerCases().filter((c) => !authorization || !c.headers?.['authorization']);
    const pathValues = [...ENCODED_VALUES, ['encoded traversal (..%2f..)', '..%2f..%2fadmin'], ['300 characters', 'a'.repeat(300)], ['36 hex digits, not a UUID', 'f'.repeat(36)], ['36 dashes', '-'.repeat(36)], ['a raw latin-1 byte', 'caf\u00e9'], ['an unknown UUID', randomUUID()]] as const;
    for (const route of routes) {
      // Known ids reach the handlers' lookups; a DELETE's target stays unknown, so the data
      // checked at the end is still there.
      const known = (collection: string, last: boolean) => (last && route.method === 'DELETE' ? undefined : ids[collection]) ?? randomUUID();
      const add = (path: string, testCase: Case) => probes.push(probe(identity, route.method, path, testCase, authorization));
      const path = fillPath(route.path, known);
      if (route.method === 'HEAD') {
        add(path, bodies[0]!);
        continue;
      }
      // Fastify reads no body on GET; one malformed body checks that it stays so.
      const carriesBody = route.method !== 'GET';
      for (const testCase of carriesBody ? bodies : bodies.slice(2, 3)) add(path, testCase);
      for (const testCase of [...queries, ...headers]) add(path, testCase);
      for (const position of parameterPositions(route.path)) {
        for (const [name, value] of pathValues) add(fillPath(route.path, known, position, value), { name: `path parameter ${position}: ${name}` });
      }
    }
    return probes;
  }

  /** The mutation pass: each known-good request with one parameter hostile at a time. */
  function mutationProbes(requests: Iterable<[string, GoodRequest]>): Probe[] {
    return [...requests].flatMap(([name, request]) =>
      mutationsOf(request).map((m) => probe(name, request.method, m.path, { name: m.name, headers: m.headers, ...(m.body === undefined ? {} : { body: m.body }) })),
    );
  }

  async function fuzz(label: string, probes: readonly Probe[]): Promise<void> {
    const report = await fuzzReport(server.url, probes);
    counts[label] = probes.length;
    expect(report).toBe('no defect');
  }

  beforeAll(async () => {
    // One trusted proxy hop: each request speaks from its own X-Forwarded-For address.
    server = await startAuthServer(database(), { TRUST_PROXY: '1' });
    routes = routesOf(server.app.getHttpAdapter().getInstance());
    const adminSecret = (await registerClient(server, { client_id: 'fuzz-admin', grant_types: ['client_credentials'], scope: 'admin' }))!;
    const userGrants = { grant_types: ['authorization_code', 'refresh_token'], scope: USER_SCOPE };
    await registerClient(server, { ...userGrants, client_id: CONSENTING.clientId, redirect_uris: [CONSENTING.redirectUri] });
    const firstPartySecret = (await registerClient(server, { ...userGrants, client_id: FIRST_PARTY.clientId, redirect_uris: [FIRST_PARTY.redirectUri], skip_consent: true }))!;
    const postSecret = (await registerClient(server, { client_id: 'fuzz-post', grant_types: ['client_credentials'], scope: 'demo:read', token_endpoint_auth_method: 'client_secret_post' }))!;
    await registerClient(server, { client_id: PATCHED_CLIENT, grant_types: ['client_credentials'], scope: 'demo:read' });
    victimId = (await server.app.get(UserService).create({ ...VICTIM, roles: ['admin'] }, ACTOR)).id;
    otherId = (await server.app.get(UserService).create({ email: 'other@fuzz.test', password: VICTIM.password }, ACTOR)).id;
    adminToken = (await tokenRequest(basic('fuzz-admin', adminSecret), { grant_type: 'client_credentials', scope: 'admin' }))['access_token']!;
    const asAdmin = { authorization: `Bearer ${adminToken}` };

    // A browser through the login and consent pages, keeping each form as the server gave it.
    const browser = new Browser(server.url);
    const login = await browser.get(`/oauth2/authorize?${new URLSearchParams(authorizationParams(CONSENTING))}`);
    expect(login.status).toBe(200);
    good.set('sign-in form', { method: 'POST', path: '/signin', encoding: 'form', params: { ...hiddenFields(login.html), email: VICTIM.email, password: 'not the password' }, headers: { cookie: browser.cookieHeader() } });
    const consent = await browser.submit(login, VICTIM);
    expect(consent.status).toBe(200);
    good.set('consent form', { method: 'POST', path: '/signin/consent', encoding: 'form', params: { ...hiddenFields(consent.html), decision: 'allow' }, headers: { cookie: browser.cookieHeader() } });
    const session = { cookie: browser.cookieHeader() };
    good.set('authorization request with a session (GET)', { method: 'GET', path: '/oauth2/authorize', encoding: 'query', params: authorizationParams(FIRST_PARTY), headers: session });
    good.set('authorization request with a session (POST)', { method: 'POST', path: '/oauth2/authorize', encoding: 'form', params: authorizationParams(FIRST_PARTY), headers: session });

    // Tokens of the first-party client, from a code issued to this session.
    const { verifier, challenge } = pkcePair();
    const issued = await browser.get(`/oauth2/authorize?${new URLSearchParams({ ...authorizationParams(FIRST_PARTY), code_challenge: challenge })}`);
    const code = new URL(issued.location!).searchParams.get('code')!;
    const firstParty = basic(FIRST_PARTY.clientId, firstPartySecret);
    const tokens = await tokenRequest(firstParty, { grant_type: 'authorization_code', code, redirect_uri: FIRST_PARTY.redirectUri, code_verifier: verifier });
    const asFirstParty = { authorization: firstParty };
    good.set('token: authorization_code', { method: 'POST', path: '/oauth2/token', encoding: 'form', params: { grant_type: 'authorization_code', code, redirect_uri: FIRST_PARTY.redirectUri, code_verifier: verifier }, headers: asFirstParty });
    good.set('token: refresh_token', { method: 'POST', path: '/oauth2/token', encoding: 'form', params: { grant_type: 'refresh_token', refresh_token: tokens['refresh_token']!, scope: 'openid' }, headers: asFirstParty });
    good.set('token: client_credentials, client_secret_post', { method: 'POST', path: '/oauth2/token', encoding: 'form', params: { grant_type: 'client_credentials', client_id: 'fuzz-post', client_secret: postSecret, scope: 'demo:read', resource: 'https://api.fuzz.test/' } });
    good.set('revocation', { method: 'POST', path: '/oauth2/revoke', encoding: 'form', params: { token: tokens['access_token']!, token_type_hint: 'access_token' }, headers: asFirstParty });
    good.set('introspection', { method: 'POST', path: '/oauth2/introspect', encoding: 'form', params: { token: tokens['refresh_token']!, token_type_hint: 'refresh_token' }, headers: asFirstParty });
    // Without the session cookie, so that no mutation signs the session out midway.
    const signOut = { id_token_hint: tokens['id_token']!, post_logout_redirect_uri: `https://first-party.fuzz.test/`, state: 'st', client_id: FIRST_PARTY.clientId };
    good.set('sign-out request (GET)', { method: 'GET', path: '/oauth2/logout', encoding: 'query', params: signOut });
    good.set('sign-out request (POST)', { method: 'POST', path: '/oauth2/logout', encoding: 'form', params: signOut });
    const confirm = await browser.get(`/oauth2/logout?${new URLSearchParams({ client_id: FIRST_PARTY.clientId, state: 'st' })}`);
    expect(confirm.status).toBe(200);
    signOutConfirmation = { method: 'POST', path: '/oauth2/logout/confirm', encoding: 'form', params: { ...hiddenFields(confirm.html), logout: 'yes' }, headers: session };

    // The admin API with the bodies and queries it documents.
    const page = (await admin('GET', '/admin/audit?limit=1')).body as { next_cursor?: string; nextCursor?: string };
    const cursor = page.next_cursor ?? page.nextCursor ?? Buffer.from('seq:1').toString('base64url');
    good.set('admin: audit query', { method: 'GET', path: '/admin/audit', encoding: 'query', params: { limit: '10', type: 'auth.login.failed', user: victimId, from: '2020-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', cursor }, headers: asAdmin });
    // Without a client_id, every well-formed mutation creates a client (the server names it),
    // so the hostile values reach the INSERT; the id itself is fuzzed on its own.
    good.set('admin: create a client with an id', { method: 'POST', path: '/admin/clients', encoding: 'json', headers: asAdmin, params: { client_id: 'fuzz-created', grant_types: ['client_credentials'], scope: 'demo:read' } });
    good.set('admin: create a client', {
      method: 'POST', path: '/admin/clients', encoding: 'json', headers: asAdmin,
      params: { client_name: 'Fuzz', grant_types: ['authorization_code'], redirect_uris: ['https://created.fuzz.test/cb'], post_logout_redirect_uris: ['https://created.fuzz.test/'], scope: 'openid', token_endpoint_auth_method: 'client_secret_basic', skip_consent: false, access_token_ttl: 600, refresh_token_ttl: 3600, resources: ['https://api.fuzz.test/'] },
    });
    good.set('admin: update a client', { method: 'PATCH', path: `/admin/clients/${PATCHED_CLIENT}`, encoding: 'json', headers: asAdmin, params: { client_name: 'Patched', scope: 'demo:read', access_token_ttl: 300, jwks_uri: 'https://patched.fuzz.test/jwks' } });
    good.set('admin: rotate a secret', { method: 'POST', path: `/admin/clients/${PATCHED_CLIENT}/rotate-secret`, encoding: 'json', headers: asAdmin, params: { grace_seconds: 60 } });
    good.set('admin: create a user', { method: 'POST', path: '/admin/users', encoding: 'json', headers: asAdmin, params: { email: 'created@fuzz.test', password: VICTIM.password, roles: ['reader'] } });
    good.set('admin: set a password', { method: 'POST', path: `/admin/users/${otherId}/password`, encoding: 'json', headers: asAdmin, params: { password: 'another correct horse' } });
  });
  afterAll(async () => {
    console.log(`requests sent: ${JSON.stringify(counts)}`);
    await server?.close();
  });

  it('finds the routes in the running server, the README endpoints among them', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining(['POST /oauth2/token', 'GET /oauth2/authorize', 'POST /signin', 'POST /oauth2/logout/confirm', 'GET /health', 'DELETE /admin/clients/:id', 'POST /admin/clients/:id/rotate-secret']),
    );
    expect(names.some((n) => /^DELETE \/admin\/users\/:[^/]+\/sessions\/:id$/.test(n))).toBe(true);
  });

  describe('CWE-20 / CWE-209 / CWE-400 / CWE-1321 / CWE-22: hostile paths, queries, bodies and headers on every route', () => {
    it('anonymously: every answer is a 4xx or better, without a stack frame, with a JSON error code', async () => {
      await fuzz('routes, anonymous', routeProbes('anonymous', undefined));
    });

    it('with a valid admin Bearer token (scope admin), reaching the admin handlers', async () => {
      await fuzz('routes, admin', routeProbes('admin', `Bearer ${adminToken}`));
    });
  });

  describe('CWE-20 / CWE-209: accepted requests with one parameter hostile, reaching the handlers behind the first checks', () => {
    it('authorization with a live session, sign-in and consent forms, token, revocation, introspection, sign-out and admin calls', async () => {
      await fuzz('one parameter hostile', mutationProbes(good));
    });

    it('RFC 7523 s3: a signed client assertion whose jti holds U+0000 gets invalid_client', async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      await registerClient(server, { client_id: 'fuzz-jwt', grant_types: ['client_credentials'], scope: 'demo:read', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256' }] } });
      const present = async (jti: string) => {
        const assertion = await new SignJWT({ jti }).setProtectedHeader({ alg: 'ES256' }).setIssuer('fuzz-jwt').setSubject('fuzz-jwt').setAudience(server.url).setExpirationTime('1m').sign(privateKey);
        const body = new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
        const response = await fetch(`${server.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': FORM }, body });
        return { status: response.status, error: ((await response.json()) as { error?: string }).error };
      };
      expect(await present('a\u0000b')).toEqual({ status: 401, error: 'invalid_client' });
      expect((await present(randomUUID())).status).toBe(200);
    });

    it('two concurrent creations of one user: one succeeds, the other is invalid_request, never a 500', async () => {
      const post = () =>
        fetch(`${server.url}/admin/users`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'twice@fuzz.test', password: VICTIM.password }),
        }).then(async (response) => ({ status: response.status, error: ((await response.json()) as { error?: string }).error }));
      const answers = await Promise.all([post(), post()]);
      expect(answers.filter((a) => a.status < 300)).toHaveLength(1);
      expect(answers.filter((a) => a.status >= 300)).toEqual([{ status: 400, error: 'invalid_request' }]);
    });

    it('the sign-out confirmation form (last: a well-formed mutation ends the session)', async () => {
      await fuzz('sign-out confirmation', mutationProbes([['sign-out confirmation', signOutConfirmation]]));
    });
  });

  it('afterwards the server is healthy and has lost no data: clients, users and an intact audit chain', async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const clients = await admin('GET', '/admin/clients');
    expect(clients.status).toBe(200);
    expect((clients.body as { client_id: string }[]).map((c) => c.client_id)).toEqual(expect.arrayContaining(['fuzz-admin', CONSENTING.clientId, FIRST_PARTY.clientId, PATCHED_CLIENT]));
    const users = await admin('GET', '/admin/users');
    expect((users.body as { email: string }[]).map((u) => u.email)).toEqual(expect.arrayContaining([VICTIM.email, 'other@fuzz.test']));
    expect(await admin('POST', '/admin/audit/verify')).toMatchObject({ status: 200, body: { ok: true } });
  });
});
