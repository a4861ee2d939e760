import { request as httpRequest } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * Requests in flight at once, in {@link fuzzReport} and in the suites' own set-up loops:
 * the machine has 2 shared cores.
 */
export const PROBE_CONCURRENCY = 8;

const REQUEST_TIMEOUT_MS = 15_000; // an answer slower than this counts as none
/** A stack frame as Node prints one (`at handler (/app/main.js:12:5)`): CWE-209 if an answer holds it. */
const STACK_FRAME = /\bat .+\.(?:js|ts|mjs|cjs):\d+/;

/** A route as Fastify registered it, e.g. `DELETE /admin/clients/:id`. */
export interface Route {
  readonly method: string;
  readonly path: string;
}

/** One hostile request shape, sent to a route by way of {@link probeOf}. */
export interface Case {
  readonly name: string;
  /** Query string, already encoded, without `?`. */
  readonly query?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Larger than a limit: the server may close the connection instead of answering. */
  readonly oversized?: boolean;
}

/** One request as it goes on the wire: a {@link Case} on a method and path, as one identity. */
export interface Probe {
  /** Who sends it (`anonymous`, `admin`, the request being mutated): names the probe in a defect. */
  readonly identity: string;
  readonly method: string;
  /** Path and query string, sent as given (not re-encoded). */
  readonly path: string;
  readonly case: Case;
  readonly headers: Readonly<Record<string, string>>;
}

/** The answer to a {@link Probe}; status 0 when there was none, with the reason as `body`. */
export interface Outcome {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * Hostile values for forms, query strings and path segments, percent-encoded as sent:
 * CWE-158 (NUL bytes), CWE-176 (lone surrogates, undecodable percent-encoding, unicode)
 * and a long value. Suites add the values particular to their own parameters.
 */
export const HOSTILE_ENCODED_VALUES: readonly (readonly [string, string])[] = [
  ['a NUL byte (%00)', 'a%00b'],
  ['a lone surrogate (%ED%A0%80)', '%ED%A0%80'],
  ['undecodable percent-encoding (%zz)', '%zz'],
  ['unicode (emoji, right-to-left override)', '%F0%9F%92%A9%E2%80%AE'],
  ['2,000 characters', 'x'.repeat(2_000)],
];

/**
 * Every field set to one value, as a form body or query string: `a=v&b=v`.
 *
 * @param encodedValue - already percent-encoded; sent as given.
 * @example encodeFields(['code', 'state'], '%zz') // 'code=%zz&state=%zz'
 */
export function encodeFields(fields: readonly string[], encodedValue: string): string {
  return fields.map((name) => `${name}=${encodedValue}`).join('&');
}

/**
 * The hostile query strings that do not depend on what a server reads: undecodable
 * percent-encoding, every field repeated, and every field set to each of `encodedValues`.
 * Suites add their own (prototype-polluting names, long values of a real parameter).
 *
 * @param fields - the parameter names the server reads; each value goes into all of them.
 * @param encodedValues - named values, already percent-encoded, e.g. {@link HOSTILE_ENCODED_VALUES}.
 */
export function fieldQueryCases(fields: readonly string[], encodedValues: readonly (readonly [string, string])[]): Case[] {
  return [
    { name: 'query: undecodable (%zz)', query: '%zz&a=%zz%' },
    { name: 'query: repeated parameters', query: `${encodeFields(fields, 'a')}&${encodeFields(fields, 'b')}` },
    ...encodedValues.map(([name, value]): Case => ({ name: `query: every field ${name}`, query: encodeFields(fields, value) })),
  ];
}

/**
 * Every method and path of a running server, from `printRoutes({ commonPrefix: false })`:
 * each line is a node of the merged route tree, four columns of tree drawing per level,
 * then the path segment and, when routes end there, their methods. A route added later is
 * found without touching the suite.
 */
export function routesOf(fastify: FastifyInstance): Route[] {
  const routes: Route[] = [];
  const prefixes: string[] = [];
  for (const line of fastify.printRoutes({ commonPrefix: false }).split('\n')) {
    const node = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!node) continue;
    const depth = node[1]!.length / 4;
    prefixes.length = depth;
    const path = (prefixes[depth - 1] ?? '') + node[2]!;
    prefixes[depth] = path;
    for (const method of node[3]?.split(', ') ?? []) routes.push({ method, path });
  }
  return routes;
}

/**
 * The probe that sends `testCase` to `method path` as `identity`: the case's query string
 * appended to `path`, a `content-length` for its body, and its headers over `headers`
 * (the identity's credentials, cookies or forwarded address).
 */
export function probeOf(identity: string, method: string, path: string, testCase: Case, headers: Readonly<Record<string, string>> = {}): Probe {
  const all: Record<string, string> = { ...headers };
  if (testCase.body !== undefined) all['content-length'] = String(Buffer.byteLength(testCase.body));
  Object.assign(all, testCase.headers);
  return { identity, method, path: testCase.query === undefined ? path : `${path}?${testCase.query}`, case: testCase, headers: all };
}

/** Runs `work` over `items`, `limit` at a time. */
export async function eachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Sends every probe to `origin`, {@link PROBE_CONCURRENCY} at a time, and checks each answer
 * against the rule for bad input (STYLE.md: never a 500; RFC 9110 s15.5: a client error is a
 * 4xx; CWE-209): an answer within 15 s, a status below 500, no stack frame, and a JSON error
 * body with a string `error`. An oversized probe may instead see its connection closed.
 *
 * @returns `'no defect'`, or how many of the requests failed and one line for each, so that
 *   `expect(await fuzzReport(url, probes)).toBe('no defect')` shows them all.
 */
export async function fuzzReport(origin: string | URL, probes: readonly Probe[]): Promise<string> {
  const target = new URL(origin);
  const defects: string[] = [];
  await eachBounded(probes, PROBE_CONCURRENCY, async (p) => {
    const outcome = await send(target, p);
    const defect = defectOf(p, outcome);
    if (defect) defects.push(`${p.identity} ${p.method} ${p.path.slice(0, 120)} [${p.case.name}] -> ${outcome.status || 'no answer'} (${defect}): ${outcome.body.slice(0, 200).replace(/\s+/g, ' ')}`);
  });
  return defects.length === 0 ? 'no defect' : `${defects.length} defects in ${probes.length} requests:\n${defects.join('\n')}`;
}

/** Sends one probe, raw, on a connection of its own: a server closes a connection after some refusals. */
function send(origin: URL, probe: Probe): Promise<Outcome> {
  return new Promise((resolve) => {
    const fail = (reason: string) => resolve({ status: 0, contentType: '', body: reason });
    let request;
    try {
      request = httpRequest(
        { host: origin.hostname, port: origin.port, method: probe.method, path: probe.path, headers: probe.headers, agent: false, timeout: REQUEST_TIMEOUT_MS },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, contentType: String(response.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', (error) => fail(`the answer broke off: ${error.message}`));
        },
      );
    } catch (error) {
      fail(`the test client refused the request: ${(error as Error).message}`);
      return;
    }
    request.on('timeout', () => request.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    request.on('error', (error) => fail(`no answer: ${error.message}`));
    request.end(probe.case.body);
  });
}

/** What is wrong with an answer, if anything. */
function defectOf(probe: Probe, outcome: Outcome): string | undefined {
  if (outcome.status === 0) return probe.case.oversized && /ECONNRESET|EPIPE|socket hang up/.test(outcome.body) ? undefined : 'no answer';
  if (outcome.status >= 500) return 'a 5xx';
  if (STACK_FRAME.test(outcome.body)) return 'a stack frame in the body';
  if (outcome.status >= 400 && /\bjson\b/i.test(outcome.contentType) && probe.method !== 'HEAD') {
    try {
      const parsed = JSON.parse(outcome.body) as { error?: unknown } | null;
      if (typeof parsed?.error !== 'string') return 'a JSON error body without a string `error`';
    } catch {
      return 'a JSON content type on a body that is not JSON';
    }
  }
  return undefined;
}
