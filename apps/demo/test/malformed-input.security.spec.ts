// Malformed and hostile input on every route of the demo (the backend for frontend): CWE-20
// improper input validation and CWE-209 error message information exposure (stack traces),
// with CWE-400 uncontrolled resource consumption (deep nesting, oversized bodies, headers
// and cookies), CWE-1321 prototype pollution (`__proto__`, `constructor`, `toString`
// names), and CWE-158 / CWE-176 (NUL bytes, lone surrogates, undecodable percent-encoding).
// The rule (STYLE.md: never a 500 for bad input; RFC 9110 s15.5: a client error is a 4xx)
// is checked on every answer: status below 500, no stack frame, a JSON error body with a
// string `error`; afterwards the demo is healthy and the signed-in session still works.
//
// The routes come from the running Fastify instance, so a route added later is fuzzed
// without touching this file: anonymously and with a signed-in `demo_session` cookie. Then
// the sign-in callback (RFC 6749 s4.1.2: `code`, `state`, `iss` of RFC 9207) is replayed
// with one parameter hostile at a time, each on a sign-in of its own so the value reaches
// openid-client, and the sign-out form likewise with its CSRF token.
import { eachBounded, encodeFields, fieldQueryCases, fuzzReport, HOSTILE_ENCODED_VALUES, PROBE_CONCURRENCY, probeOf, routesOf, type Case, type Probe, type Route } from '@authkit/testing';
import { TestBrowser } from './support/browser';
import { startDemoHarness, type DemoHarness } from './support/demo-harness';

const BODY_LIMIT_BYTES = 16 * 1024; // the demo's bodyLimit (src/server.ts)
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
/** Parameter names the demo reads: the callback's (RFC 6749 s4.1.2, s4.1.2.1; RFC 9207) and the sign-out form's. */
const FIELDS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state', 'csrf'] as const;

/** Hostile values for forms and query strings, percent-encoded as sent. */
const ENCODED_VALUES: readonly (readonly [string, string])[] = [
  ...HOSTILE_ENCODED_VALUES,
  ['an absolute URL elsewhere', encodeURIComponent('https://evil.example/')],
];

const encodeAll = (encodedValue: string) => encodeFields(FIELDS, encodedValue);
const DEEP = 5_000; // levels: far beyond any legitimate document

/** Bodies of each content type: malformed, nested, polluting, oversized. */
function bodyCases(): Case[] {
  const json = (name: string, body: string): Case => ({ name: `JSON: ${name}`, headers: { 'content-type': JSON_TYPE }, body });
  const form = (name: string, body: string): Case => ({ name: `form: ${name}`, headers: { 'content-type': FORM }, body });
  return [
    { name: 'no body' },
    json('empty body', ''),
    json('malformed ({)', '{'),
    json('an array', '[1,"a",null,{}]'),
    json(`arrays nested ${DEEP} deep`, '['.repeat(DEEP) + ']'.repeat(DEEP)),
    json('__proto__, constructor and toString members', '{"__proto__":{"csrf":"x"},"constructor":{"prototype":{"csrf":"x"}},"toString":"x"}'),
    json('every member a NUL character', JSON.stringify(Object.fromEntries(FIELDS.map((f) => [f, 'a\u0000b'])))),
    json('every member an object', JSON.stringify(Object.fromEntries(FIELDS.map((f) => [f, { toString: 'x' }])))),
    form('empty body', ''),
    form('repeated parameters', `${encodeAll('a')}&${encodeAll('b')}`),
    form('__proto__, constructor and toString names', '__proto__=x&__proto__%5Bcsrf%5D=1&constructor%5Bprototype%5D%5Bcsrf%5D=1&toString=x'),
    ...ENCODED_VALUES.map(([name, value]) => form(`every field ${name}`, encodeAll(value))),
    { name: 'form: charset=utf-16', headers: { 'content-type': `${FORM}; charset=utf-16` }, body: encodeAll('x') },
    { name: 'text/plain', headers: { 'content-type': 'text/plain' }, body: 'csrf=x' },
    { name: 'multipart/form-data with a boundary', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: '--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nx\r\n--b--\r\n' },
    { name: 'no content type', body: encodeAll('x') },
    { name: 'a content type that is not type/subtype', headers: { 'content-type': 'form' }, body: encodeAll('x') },
    { name: 'a body over 16 KiB', headers: { 'content-type': FORM }, body: `csrf=${'x'.repeat(BODY_LIMIT_BYTES)}`, oversized: true },
  ];
}

/** The same hostile forms in the query string: the shared ones, then those naming parameters read here. */
function queryCases(): Case[] {
  return [
    ...fieldQueryCases(FIELDS, ENCODED_VALUES),
    { name: 'query: __proto__, constructor and toString names', query: '__proto__=x&__proto__[state]=1&constructor[prototype][state]=1&toString=x' },
    { name: 'query: a 100 KB value', query: `code=${'x'.repeat(100 * 1024)}`, oversized: true },
  ];
}

/** Hostile headers: credentials, cookies, origin, proxy. */
function headerCases(): Case[] {
  const jwt = (...parts: string[]) => `Bearer ${parts.map((part) => Buffer.from(part).toString('base64url')).join('.')}`;
  return [
    { name: 'Authorization: Basic %%%', headers: { authorization: 'Basic %%%' } },
    { name: 'Authorization: Bearer with an unsigned alg:none JWT (RFC 8725 s2.1)', headers: { authorization: `${jwt('{"alg":"none","typ":"at+jwt"}', '{"sub":"x","scope":"demo:read","exp":9999999999}')}.` } },
    { name: 'Authorization: Bearer with a NUL kid and a foreign jku (RFC 8725 s3.10)', headers: { authorization: jwt('{"alg":"RS256","typ":"at+jwt","kid":"../\u0000","jku":"https://evil.example/jwks"}', '{}', 'sig') } },
    { name: 'Authorization: Bearer with segments that are not JSON', headers: { authorization: jwt('{', '[', '') } },
    { name: 'Authorization: Bearer + 10 KB', headers: { authorization: `Bearer ${'a'.repeat(10 * 1024)}` } },
    { name: 'Authorization: Bearer a b c', headers: { authorization: 'Bearer a b c' } },
    { name: 'Cookie: demo_session=% and demo_login=%', headers: { cookie: 'demo_session=%; demo_login=%' } },
    { name: 'Cookie: a 6 KB demo_session', headers: { cookie: `demo_session=${'a'.repeat(6 * 1024)}` } },
    { name: 'Cookie: repeated and malformed pairs', headers: { cookie: 'demo_session=a; demo_session=b; =; ;;; demo_login' } },
    { name: 'Origin: null', headers: { origin: 'null' } },
    { name: 'Content-Type: form, charset=utf-16', headers: { 'content-type': `${FORM}; charset=utf-16` }, body: 'csrf=%FF%FE' },
  ];
}

/** `params` encoded with `target` replaced by `value` (already encoded), left out, or repeated. */
function mutatedQuery(params: URLSearchParams, target: string, value: string | 'missing' | 'repeated'): string {
  return [...params]
    .flatMap(([name, current]) => {
      const own = `${encodeURIComponent(name)}=${encodeURIComponent(current)}`;
      if (name !== target) return [own];
      if (value === 'missing') return [];
      return value === 'repeated' ? [own, own] : [`${encodeURIComponent(name)}=${value}`];
    })
    .join('&');
}

/** Each hostile replacement of one parameter: the encoded values, then missing and repeated. */
const REPLACEMENTS: readonly (readonly [string, string])[] = [...ENCODED_VALUES, ['missing', 'missing'], ['repeated', 'repeated']];

describe('demo: malformed input never gets a 5xx or a stack trace (CWE-20, CWE-209)', () => {
  let h: DemoHarness;
  let routes: Route[];
  /** The `demo_session` cookie of a signed-in browser. */
  let signedIn: TestBrowser;
  const counts: Record<string, number> = {};

  function probe(identity: string, method: string, path: string, testCase: Case, cookie?: string): Probe {
    return probeOf(identity, method, path, testCase, cookie ? { cookie } : {});
  }

  function routeProbes(identity: string, cookie: string | undefined): Probe[] {
    const probes: Probe[] = [];
    const bodies = bodyCases();
    // A signed-in browser's own cookie cases would only replace the session cookie.
    const headers = headerCases().filter((c) => !cookie || !c.headers?.['cookie']);
    for (const route of routes) {
      const add = (testCase: Case) => probes.push(probe(identity, route.method, route.path, testCase, cookie));
      if (route.method === 'HEAD') {
        add(bodies[0]!);
        continue;
      }
      // Fastify reads no body on GET; one malformed body checks that it stays so.
      for (const testCase of route.method === 'GET' ? bodies.slice(2, 3) : bodies) add(testCase);
      for (const testCase of [...queryCases(), ...headers]) add(testCase);
    }
    return probes;
  }

  async function fuzz(label: string, probes: readonly Probe[]): Promise<void> {
    const report = await fuzzReport(h.demoUrl, probes);
    counts[label] = probes.length;
    expect(report).toBe('no defect');
  }

  /** A pending sign-in followed up to (not into) the demo's callback: the browser and the callback URL. */
  async function untilCallback(): Promise<{ browser: TestBrowser; callback: URL }> {
    const browser = new TestBrowser();
    const callbackPrefix = `${h.demoUrl}/auth/callback`;
    const { response, url } = await browser.follow(`${h.demoUrl}/auth/login`, (next) => next.href.startsWith(callbackPrefix));
    const location = response.headers.get('location');
    if (!location) throw new Error(`the flow stopped at ${url} with ${response.status}`);
    return { browser, callback: new URL(location, url) };
  }

  /** The sign-out form's CSRF token on the home page of `browser`. */
  async function csrfOf(browser: TestBrowser): Promise<string> {
    const html = await (await browser.request(`${h.demoUrl}/`)).text();
    return /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  }

  beforeAll(async () => {
    h = await startDemoHarness({ redisUrl: process.env['REDIS_URL'] });
    routes = routesOf(h.demo.getHttpAdapter().getInstance());
    signedIn = await h.signIn();
  }, 60_000);
  afterAll(async () => {
    console.log(`requests sent: ${JSON.stringify(counts)}`);
    await h?.close();
  });

  const sessionCookie = () => `demo_session=${signedIn.cookie(h.demoUrl, 'demo_session')!}`;

  it('finds the routes in the running demo, the sign-in endpoints and the API among them', () => {
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['GET /', 'GET /health', 'GET /auth/login', 'GET /auth/callback', 'POST /auth/logout', 'GET /api/me', 'GET /api/admin/stats']),
    );
  });

  describe('CWE-20 / CWE-209 / CWE-400 / CWE-1321: hostile queries, bodies and headers on every route', () => {
    it('anonymously: every answer is a 4xx or better, without a stack frame, with a JSON error code', async () => {
      await fuzz('routes, anonymous', routeProbes('anonymous', undefined));
    });

    it('with a signed-in demo_session cookie, reaching the session and API handlers', async () => {
      await fuzz('routes, signed in', routeProbes('signed in', sessionCookie()));
    });
  });

  describe('CWE-20 / CWE-209: accepted requests with one parameter hostile', () => {
    it('the sign-in callback (RFC 6749 s4.1.2; RFC 9207 iss), each on a pending sign-in of its own', async () => {
      const { callback } = await untilCallback();
      const targets = [...new Set(callback.searchParams.keys())];
      expect(targets).toEqual(expect.arrayContaining(['code', 'state', 'iss']));
      const jobs = targets.flatMap((target) => REPLACEMENTS.map(([name, value]) => ({ target, name, value })));
      const probes: Probe[] = [];
      await eachBounded(jobs, PROBE_CONCURRENCY, async ({ target, name, value }) => {
        const pending = await untilCallback();
        const cookie = `demo_login=${pending.browser.cookie(h.demoUrl, 'demo_login')!}`;
        probes.push(probe('sign-in callback', 'GET', `/auth/callback?${mutatedQuery(pending.callback.searchParams, target, value)}`, { name: `${target}: ${name}` }, cookie));
      });
      await fuzz('sign-in callback', probes);
    });

    it('the sign-out form (its csrf field and Origin), with the session of a browser of its own', async () => {
      const browser = await h.signIn();
      const form = new URLSearchParams({ csrf: await csrfOf(browser) });
      const cookie = `demo_session=${browser.cookie(h.demoUrl, 'demo_session')!}`;
      const probes = REPLACEMENTS.filter(([name]) => name !== 'missing').map(([name, value]) =>
        probe('sign-out form', 'POST', '/auth/logout', { name: `csrf: ${name}`, headers: { 'content-type': FORM, origin: h.demoUrl }, body: mutatedQuery(form, 'csrf', value) }, cookie),
      );
      for (const origin of ['null', 'https://evil.example', `${h.demoUrl}\u00e9`, `${h.demoUrl}, ${h.demoUrl}`]) {
        probes.push(probe('sign-out form', 'POST', '/auth/logout', { name: `Origin: ${origin}`, headers: { 'content-type': FORM, origin }, body: form.toString() }, cookie));
      }
      await fuzz('sign-out form', probes);
    });
  });

  it('afterwards the demo is healthy and the signed-in session still works', async () => {
    expect((await fetch(`${h.demoUrl}/health`)).status).toBe(200);
    const me = await signedIn.request(`${h.demoUrl}/api/me`);
    expect(me.status).toBe(200);
    expect(await csrfOf(signedIn)).toMatch(/^\S+$/);
  });
});
