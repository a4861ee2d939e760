/**
 * token.*: requests per second of auth-server's token endpoint (client credentials,
 * client_secret_basic), measured with autocannon over 127.0.0.1 against a real server
 * process, each figure next to a reference measured in the same run:
 *
 *   token.client_credentials.RS256                   vs raw node:crypto RS256 signing, one core
 *   token.client_credentials.ES256.vs_oidc_provider  vs oidc-provider 9 (ES256 JWT access tokens)
 *   token.client_credentials.EdDSA                   vs raw node:crypto Ed25519 signing, one core
 *
 * Each auth-server run is a fresh server process (the sources through the swc require hook),
 * with a fresh database and a bootstrap client; oidc-provider runs as bench/servers/oidc-provider.mjs.
 * Method, members and caveats: bench/README.md.
 *
 * Run alone: node -r ./libs/testing/farm/register-ts.cjs bench/token.bench.ts
 * Protocol (see bench/README.md): the last stdout line is {"figures":[...]}.
 *
 * Environment:
 *   DATABASE_URL                  PostgreSQL to use (default postgres://postgres@127.0.0.1:5432/postgres,
 *                                 loopback only); each server run gets a fresh database
 *                                 authkit_bench_<hex>, dropped at the end. When it cannot be
 *                                 reached, the servers use the embedded database instead
 *                                 (figures then say "database": "embedded").
 *   BENCH_TOKEN_SECONDS           length of each measured load (default 8)
 *   BENCH_TOKEN_WARMUP_SECONDS    load before each measurement, not counted (default 2)
 *   BENCH_TOKEN_CONNECTIONS       autocannon connections (default 10)
 *   BENCH_TOKEN_REFERENCE_SECONDS length of each raw signing reference (default 3: half just before
 *                                 and half just after the load)
 *   BENCH_TOKEN_EDDSA             0 skips the EdDSA figure
 *   BENCH_TOKEN_SERVER            source (default: apps/auth-server/src/main.ts through the swc
 *                                 require hook) or dist (dist/apps/auth-server/main.js from `npm run build`)
 *   BENCH_TOKEN_LOG_LEVEL         LOG_LEVEL of auth-server (default warn; info logs a line per request)
 *   BENCH_TOKEN_BUILT             1: also measure the RS256 figure against the build (dist/apps/auth-server/main.js)
 *                                 and add built_value / built_ratio; skipped when the build is older
 *                                 than the sources
 *   BENCH_TOKEN_CPU_PROF          a directory: the server processes run with --cpu-prof and
 *                                 write their profiles there (see bench/tools/cpuprofile-summary.mjs)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { nonSuccessStatuses, type Figure, positive, round, progressLog, runBenchmark } from './support/bench-kit';

// autocannon ships no type declarations; this is the part of its API used here.
interface AutocannonResult {
  readonly duration: number; // seconds, as measured by autocannon
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly '2xx': number;
  readonly statusCodeStats?: Record<string, { count: number }>;
  readonly latency: { readonly p50: number; readonly p99: number; readonly average: number };
  readonly requests: { readonly total: number; readonly average: number };
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = require('autocannon') as Autocannon;

const ROOT = resolve(__dirname, '..');
const REGISTER = join(ROOT, 'libs/testing/farm/register-ts.cjs');
const SERVER_SOURCE = join(ROOT, 'apps/auth-server/src/main.ts');
const SERVER_DIST = join(ROOT, 'dist/apps/auth-server/main.js');
const OIDC_PROVIDER_SERVER = join(ROOT, 'bench/servers/oidc-provider.mjs');
const EXIT_WITH_PARENT = join(ROOT, 'bench/servers/exit-with-parent.cjs');

const SERVER_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = positive(process.env['BENCH_TOKEN_SECONDS'], 8);
const WARM_UP_SECONDS = positive(process.env['BENCH_TOKEN_WARMUP_SECONDS'], 2);
const CONNECTIONS = Math.round(positive(process.env['BENCH_TOKEN_CONNECTIONS'], 10));
const REFERENCE_SECONDS = positive(process.env['BENCH_TOKEN_REFERENCE_SECONDS'], 3);
const EDDSA = process.env['BENCH_TOKEN_EDDSA'] !== '0';
type ServerBuild = 'source' | 'dist';
const SERVER_BUILD: ServerBuild = process.env['BENCH_TOKEN_SERVER'] === 'dist' ? 'dist' : 'source';
const BUILT = process.env['BENCH_TOKEN_BUILT'] === '1';
const LOG_LEVEL = process.env['BENCH_TOKEN_LOG_LEVEL'] ?? 'warn';
const CPU_PROF_DIR = process.env['BENCH_TOKEN_CPU_PROF'] ? resolve(process.env['BENCH_TOKEN_CPU_PROF']) : undefined;

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
const SIGNAL_STOP_TIMEOUT_MS = 5_000; // when this module is being stopped itself
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const CLIENT_ID = 'bench';
const CLIENT_SECRET = randomBytes(32).toString('base64url'); // 43 characters, fresh per run
const SCOPE = 'demo:read';
const AUDIENCE = 'http://localhost:4200/api';
const BODY = `grant_type=client_credentials&scope=${encodeURIComponent(SCOPE)}`;
const HEADERS = {
  'content-type': 'application/x-www-form-urlencoded',
  authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
};

type Algorithm = 'RS256' | 'ES256' | 'EdDSA';



const log = progressLog('token.bench');


// ---------------------------------------------------------------------------------------
// References: raw node:crypto signing on one core

/** A JWT signing input shaped like auth-server's access tokens (RFC 9068 header and claims). */
function signingInput(alg: Algorithm): Buffer {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg, typ: 'at+jwt', kid: randomBytes(12).toString('base64url') };
  const claims = {
    iss: 'http://127.0.0.1:3000',
    sub: CLIENT_ID,
    aud: AUDIENCE,
    exp: now + 600,
    iat: now,
    jti: randomBytes(16).toString('base64url'),
    client_id: CLIENT_ID,
    scope: SCOPE,
  };
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return Buffer.from(`${encode(header)}.${encode(claims)}`);
}

/** Signatures made in some time; several samples add up. */
interface Sample {
  readonly ops: number;
  readonly seconds: number;
}

interface RawSigning {
  readonly opsPerSecond: number;
  readonly ops: number;
  readonly seconds: number;
}

function rate(samples: readonly Sample[]): RawSigning {
  const ops = samples.reduce((n, x) => n + x.ops, 0);
  const seconds = samples.reduce((n, x) => n + x.seconds, 0);
  return { opsPerSecond: round(ops / seconds), ops, seconds: round(seconds, 3) };
}

/**
 * Synchronous crypto.sign in a tight loop on the main thread: what one core signs per
 * second with nothing else to do. 2048-bit RSA for RS256 (as auth-server generates),
 * P-256 for ES256, Ed25519 for EdDSA. The key is made once; each call signs for `seconds`.
 */
function rawSigner(alg: Algorithm): (seconds: number) => Sample {
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  const digest = alg === 'EdDSA' ? null : 'sha256';
  const key = alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
  const data = signingInput(alg);
  for (let i = 0; i < 50; i += 1) sign(digest, data, key); // warm-up
  return (seconds) => {
    let ops = 0;
    const start = performance.now();
    const deadline = start + seconds * 1000;
    while (performance.now() < deadline) {
      sign(digest, data, key);
      ops += 1;
    }
    return { ops, seconds: (performance.now() - start) / 1000 };
  };
}

/**
 * Context, not a reference: asynchronous crypto.sign (libuv threadpool, as auth-server signs)
 * with as many signatures in flight as the load has connections. Shows what the machine
 * gives to signing alone at that moment, which on a shared machine may be more or less
 * than one core.
 */
async function threadpoolRs256Signing(seconds: number): Promise<RawSigning> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const data = signingInput('RS256');
  const signOnce = () =>
    new Promise<void>((done, fail) => sign('sha256', data, privateKey, (error) => (error ? fail(error) : done())));
  let ops = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      await signOnce();
      ops += 1;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const elapsed = (performance.now() - start) / 1000;
  return { opsPerSecond: round(ops / elapsed), ops, seconds: round(elapsed, 3) };
}

// ---------------------------------------------------------------------------------------
// CPU accounting from /proc (Linux); undefined elsewhere

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds of a process (all its threads), or with `mainThread` of its main thread only. */
function processCpuSeconds(pid: number | undefined, mainThread = false): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime + stime, all threads
  } catch {
    return undefined;
  }
}

/** CPU seconds of every process named postgres (the server and its backends), any owner. */
function postgresCpuSeconds(): number | undefined {
  try {
    let total = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    }
    return total;
  } catch {
    return undefined;
  }
}

function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const [line] = readFileSync('/proc/stat', 'utf8').split('\n');
    const values = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
    const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Server processes

interface ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  readonly baseUrl: string;
  readonly output: string[]; // last lines of stdout and stderr, shown on failure
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ServerProcess>();

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'); // Nest colours its error output

function remember(lines: string[], raw: string): void {
  const line = raw.replace(ANSI_COLOUR, '');
  lines.push(line.length > 2_000 ? `${line.slice(0, 2_000)}...` : line);
  if (lines.length > 60) lines.shift();
}

/** Spawns a server and resolves once it prints its `"msg":"listening"` JSON line (with its port). */
async function startServer(name: string, args: string[], env: NodeJS.ProcessEnv, port: number): Promise<ServerProcess> {
  const nodeArgs = CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`, `--cpu-prof-name=${name}.${Date.now()}.cpuprofile`] : [];
  // The IPC channel is only there so that the server stops if this process dies (see exit-with-parent.cjs).
  const child = spawn(process.execPath, [...nodeArgs, '-r', EXIT_WITH_PARENT, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.channel?.unref();
  const output: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('close', (code, signal) => resolveExit({ code, signal }));
  });
  const server: ServerProcess = { name, child, port, baseUrl: `http://127.0.0.1:${port}`, output, exited };
  running.add(server);
  void exited.then(() => running.delete(server));

  return new Promise<ServerProcess>((resolveReady, reject) => {
    let ready = false;
    const timer = setTimeout(() => fail(new Error(`${name} did not report "listening" within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const fail = (error: Error) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      reject(Object.assign(error, { output }));
    };
    let pending = { stdout: '', stderr: '' };
    const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const lines = (pending[stream] + chunk.toString('utf8')).split('\n');
      pending = { ...pending, [stream]: lines.pop() ?? '' };
      for (const line of lines) {
        if (!line.trim()) continue;
        remember(output, `${stream}: ${line}`);
        if (!ready && stream === 'stdout' && line.includes('"msg":"listening')) {
          try {
            const parsed = JSON.parse(line) as { msg?: string; port?: number };
            // "listening" (current sources) or "listening on <url>" (earlier builds)
            if (parsed.msg === 'listening' || parsed.msg?.startsWith('listening on ')) {
              ready = true;
              clearTimeout(timer);
              if (parsed.port !== port) log(`warning: ${name} reports port ${parsed.port}, expected ${port}`);
              resolveReady(server);
            }
          } catch {
            // an ordinary log line that mentions "listening"
          }
        }
      }
    };
    child.stdout?.on('data', onData('stdout'));
    child.stderr?.on('data', onData('stderr'));
    child.once('error', (error) => fail(error));
    void exited.then(({ code, signal }) => fail(new Error(`${name} exited (${signal ?? `code ${code}`}) before listening`)));
  });
}

/** SIGTERM, then SIGKILL if it does not exit in time. Resolves with the exit code. */
async function stopServer(server: ServerProcess, timeoutMs = STOP_TIMEOUT_MS): Promise<number | null> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.child.exitCode;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    log(`${server.name} did not exit ${timeoutMs} ms after SIGTERM; killing it`);
    server.child.kill('SIGKILL');
  }, timeoutMs);
  const { code } = await server.exited;
  clearTimeout(timer);
  return code;
}

function describeOutput(error: unknown): string {
  const output = (error as { output?: string[] })?.output;
  return output?.length ? `\n  last output:\n    ${output.slice(-25).join('\n    ')}` : '';
}

// ---------------------------------------------------------------------------------------
// Checking that the endpoint really issues tokens

interface TokenCheck {
  readonly alg: string;
  readonly typ: string | undefined;
  readonly bytes: number;
}

function decodePart(part: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * One token request, as autocannon will send it: it must answer 200 with a JWT access token
 * signed with `alg` by a key published at the server's jwks_uri, for this client, audience and scope.
 */
async function checkTokenEndpoint(tokenUrl: string, issuer: string, alg: Algorithm): Promise<TokenCheck> {
  const response = await fetch(tokenUrl, { method: 'POST', headers: HEADERS, body: BODY });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`token request answered ${response.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { access_token?: string; token_type?: string; scope?: string };
  const parts = body.access_token?.split('.') ?? [];
  if (parts.length !== 3 || !/^bearer$/i.test(body.token_type ?? '')) throw new Error(`not a JWT bearer token response: ${text.slice(0, 300)}`);
  const header = decodePart(parts[0]) as { alg?: string; typ?: string; kid?: string };
  const claims = decodePart(parts[1]);
  if (header.alg !== alg) throw new Error(`token signed ${header.alg}, expected ${alg}`);
  if (claims['iss'] !== issuer) throw new Error(`token iss ${String(claims['iss'])}, expected ${issuer}`);
  if (claims['client_id'] !== CLIENT_ID) throw new Error(`token client_id ${String(claims['client_id'])}, expected ${CLIENT_ID}`);
  const aud = Array.isArray(claims['aud']) ? claims['aud'] : [claims['aud']];
  if (!aud.includes(AUDIENCE)) throw new Error(`token aud ${JSON.stringify(claims['aud'])}, expected ${AUDIENCE}`);
  if (claims['scope'] !== SCOPE) throw new Error(`token scope ${String(claims['scope'])}, expected ${SCOPE}`);

  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri?: string };
  if (!discovery.jwks_uri) throw new Error('discovery names no jwks_uri');
  const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys?: { kid?: string }[] };
  const jwk = jwks.keys?.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`kid ${header.kid} is not in ${discovery.jwks_uri}`);
  const publicKey: KeyObject = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  const data = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2] ?? '', 'base64url');
  const ok =
    alg === 'EdDSA'
      ? verify(null, data, publicKey, signature)
      : verify('sha256', data, alg === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' } : publicKey, signature);
  if (!ok) throw new Error('token signature does not verify against the published key');
  return { alg: header.alg, typ: header.typ, bytes: body.access_token?.length ?? 0 };
}

// ---------------------------------------------------------------------------------------
// Load

/** One autocannon run, with the CPU each side used meanwhile. */
interface LoadSlice {
  readonly ok: number; // 2xx responses
  readonly non2xx: number;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number; // as autocannon measured it
  readonly wall: number;
  readonly p50: number;
  readonly p99: number;
  readonly serverCpu: number | undefined;
  readonly serverMainThreadCpu: number | undefined;
  readonly loadCpu: number;
  readonly postgresCpu: number | undefined;
  readonly machineBusy: number | undefined;
}

/** One or more slices of load against the same server, added up. */
interface Load {
  readonly requestsPerSecond: number; // 2xx responses per second
  readonly ok: number;
  readonly non2xx: number;
  readonly statuses: Record<string, number>; // non-2xx responses by status
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  readonly p50: number; // request-weighted mean of the slices' medians
  readonly p99: number; // highest of the slices' 99th percentiles
  readonly serverCpuCores: number | undefined; // CPU seconds of the server process per second
  readonly serverMainThreadCores: number | undefined; // of its main thread (JavaScript) alone
  readonly loadCpuCores: number; // CPU of this process (autocannon) per second
  readonly postgresCpuCores: number | undefined; // every postgres process on the machine
  readonly machineBusyCores: number | undefined;
  readonly okPerServerCpuSecond: number | undefined;
}

async function cannon(url: string, seconds: number): Promise<AutocannonResult> {
  return autocannon({
    url,
    method: 'POST',
    headers: HEADERS,
    body: BODY,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
  });
}

/** Load before a measurement, not counted. */
async function warmUp(url: string): Promise<void> {
  const result = await cannon(url, WARM_UP_SECONDS);
  if (result['2xx'] === 0) throw new Error(`warm-up against ${url}: no successful responses (${result.non2xx} non-2xx, ${result.errors} errors)`);
}

async function loadSlice(server: ServerProcess, url: string, seconds: number): Promise<LoadSlice> {
  const serverBefore = processCpuSeconds(server.child.pid);
  const mainBefore = processCpuSeconds(server.child.pid, true);
  const postgresBefore = postgresCpuSeconds();
  const machineBefore = machineCpu();
  const ownBefore = process.cpuUsage();
  const monotonicStart = process.hrtime.bigint() / 1000n;
  const wallStart = performance.now();
  const result = await cannon(url, seconds);
  const wall = (performance.now() - wallStart) / 1000;
  const monotonicEnd = process.hrtime.bigint() / 1000n;
  const own = process.cpuUsage(ownBefore);
  const serverAfter = processCpuSeconds(server.child.pid);
  const mainAfter = processCpuSeconds(server.child.pid, true);
  const postgresAfter = postgresCpuSeconds();
  const machineAfter = machineCpu();
  if (CPU_PROF_DIR) log(`  profile window of ${server.name} (pid ${server.child.pid}): --window ${monotonicStart}:${monotonicEnd}`);
  const difference = (before: number | undefined, after: number | undefined) =>
    before !== undefined && after !== undefined ? after - before : undefined;
  return {
    ok: result['2xx'],
    non2xx: result.non2xx,
    statuses: nonSuccessStatuses(result.statusCodeStats),
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
    wall,
    p50: result.latency.p50,
    p99: result.latency.p99,
    serverCpu: difference(serverBefore, serverAfter),
    serverMainThreadCpu: difference(mainBefore, mainAfter),
    loadCpu: (own.user + own.system) / 1e6,
    postgresCpu: difference(postgresBefore, postgresAfter),
    machineBusy: difference(machineBefore?.busy, machineAfter?.busy),
  };
}

function summarise(slices: readonly LoadSlice[]): Load {
  const sum = (pick: (slice: LoadSlice) => number) => slices.reduce((n, slice) => n + pick(slice), 0);
  const sumOptional = (pick: (slice: LoadSlice) => number | undefined) =>
    slices.every((slice) => pick(slice) !== undefined) ? sum((slice) => pick(slice) ?? 0) : undefined;
  const ok = sum((x) => x.ok);
  const seconds = sum((x) => x.seconds);
  const wall = sum((x) => x.wall);
  const serverCpu = sumOptional((x) => x.serverCpu);
  const mainThreadCpu = sumOptional((x) => x.serverMainThreadCpu);
  const postgresCpu = sumOptional((x) => x.postgresCpu);
  const machineBusy = sumOptional((x) => x.machineBusy);
  const statuses: Record<string, number> = {};
  for (const slice of slices) for (const [status, n] of Object.entries(slice.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
  return {
    requestsPerSecond: round(ok / seconds),
    ok,
    non2xx: sum((x) => x.non2xx),
    statuses,
    errors: sum((x) => x.errors),
    timeouts: sum((x) => x.timeouts),
    seconds: round(seconds, 3),
    p50: ok > 0 ? round(sum((x) => x.p50 * x.ok) / ok, 1) : 0,
    p99: Math.max(...slices.map((x) => x.p99)),
    serverCpuCores: serverCpu !== undefined ? round(serverCpu / wall, 2) : undefined,
    serverMainThreadCores: mainThreadCpu !== undefined ? round(mainThreadCpu / wall, 2) : undefined,
    loadCpuCores: round(sum((x) => x.loadCpu) / wall, 2),
    postgresCpuCores: postgresCpu !== undefined ? round(postgresCpu / wall, 2) : undefined,
    machineBusyCores: machineBusy !== undefined ? round(machineBusy / wall, 2) : undefined,
    okPerServerCpuSecond: serverCpu ? round(ok / serverCpu) : undefined,
  };
}

function loadMembers(load: Load, prefix = ''): Record<string, unknown> {
  const members: Record<string, unknown> = {
    requests: load.ok,
    non_2xx: load.non2xx,
    ...(load.non2xx > 0 ? { non_2xx_by_status: load.statuses } : {}),
    errors: load.errors + load.timeouts,
    seconds: load.seconds,
    latency_p50_ms: load.p50,
    latency_p99_ms: load.p99,
    server_cpu_cores: load.serverCpuCores,
    server_main_thread_cores: load.serverMainThreadCores,
    requests_per_server_cpu_second: load.okPerServerCpuSecond,
    loadgen_cpu_cores: load.loadCpuCores,
    postgres_cpu_cores: load.postgresCpuCores,
    machine_busy_cores: load.machineBusyCores,
  };
  return Object.fromEntries(
    Object.entries(members)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [`${prefix}${k}`, v]),
  );
}

function describeLoad(load: Load): string {
  return `${load.requestsPerSecond} req/s (server ${load.serverCpuCores ?? '?'} cores, main thread ${load.serverMainThreadCores ?? '?'}, load generator ${load.loadCpuCores} cores, machine busy ${load.machineBusyCores ?? '?'} cores)`;
}

function assertHealthy(name: string, load: Load): void {
  if (load.ok === 0) throw new Error(`${name}: no successful responses (${load.non2xx} non-2xx, ${load.errors} errors)`);
  const bad = load.non2xx + load.errors + load.timeouts;
  if (bad > 0) {
    log(`warning: ${name}: ${load.non2xx} non-2xx responses ${JSON.stringify(load.statuses)}, ${load.errors} errors, ${load.timeouts} timeouts`);
  }
}

// ---------------------------------------------------------------------------------------
// Databases

interface Databases {
  readonly mode: 'postgres' | 'embedded';
  /** A fresh database URL (postgres), or undefined (embedded: the server uses DATA_DIR). */
  create(): Promise<{ url: string | undefined; name: string | undefined }>;
  count(name: string | undefined, sql: string): Promise<number | undefined>;
  dropAll(): Promise<void>;
}

async function openDatabases(): Promise<Databases> {
  const server = new URL(SERVER_URL);
  if (!LOOPBACK.has(server.hostname)) {
    throw Object.assign(new Error(`refusing to benchmark against ${server.hostname}: the benchmarks only talk to 127.0.0.1`), { usage: true });
  }
  const admin = new Client({ connectionString: server.href, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (error) {
    await admin.end().catch(() => undefined);
    log(`cannot reach PostgreSQL at ${server.hostname}:${server.port || 5432} (${(error as Error).message}); using the embedded database`);
    return {
      mode: 'embedded',
      create: async () => ({ url: undefined, name: undefined }),
      count: async () => undefined,
      dropAll: async () => undefined,
    };
  }
  const created = new Set<string>();
  const urlOf = (name: string) => {
    const url = new URL(server.href);
    url.pathname = `/${name}`;
    return url.href;
  };
  let closed = false;
  return {
    mode: 'postgres',
    async create() {
      const name = `authkit_bench_${randomBytes(6).toString('hex')}`;
      created.add(name);
      await admin.query(`CREATE DATABASE ${name}`);
      log(`created database ${name}`);
      return { url: urlOf(name), name };
    },
    async count(name, sql) {
      if (!name) return undefined;
      const client = new Client({ connectionString: urlOf(name), connectionTimeoutMillis: 5_000 });
      try {
        await client.connect();
        const { rows } = await client.query<{ n: string }>(sql);
        return Number(rows[0]?.n);
      } catch (error) {
        log(`could not count in ${name}: ${(error as Error).message}`);
        return undefined;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async dropAll() {
      if (closed) return;
      closed = true;
      for (const name of created) {
        await admin
          .query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
          .then(() => log(`dropped database ${name}`))
          .catch((error: Error) => log(`could not drop database ${name}: ${error.message}`));
      }
      created.clear();
      await admin.end().catch(() => undefined);
    },
  };
}

// ---------------------------------------------------------------------------------------
// The build (npm run build writes dist/apps/auth-server/main.js)

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !/\.(spec|test|e2e-spec)\.ts$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Why dist/apps/auth-server/main.js would not measure the current sources, or undefined. */
function distProblem(): string | undefined {
  if (!existsSync(SERVER_DIST)) return 'dist/apps/auth-server/main.js does not exist (npm run build)';
  const built = statSync(SERVER_DIST).mtimeMs;
  const libs = readdirSync(join(ROOT, 'libs')).map((lib) => join(ROOT, 'libs', lib, 'src')).filter((dir) => existsSync(dir));
  const newest = Math.max(newestSource(join(ROOT, 'apps/auth-server/src')), ...libs.map(newestSource));
  return newest > built ? 'dist/apps/auth-server/main.js is older than the sources (npm run build)' : undefined;
}

// ---------------------------------------------------------------------------------------
// auth-server and oidc-provider runs

const tempDirs = new Set<string>();

interface AuthServerRun {
  readonly alg: Algorithm;
  readonly server: ServerProcess;
  readonly database: string | undefined;
  readonly check: TokenCheck;
}

async function startAuthServer(databases: Databases, alg: Algorithm, build: ServerBuild = SERVER_BUILD): Promise<AuthServerRun> {
  const dataDir = await mkdtemp(join(tmpdir(), 'authkit-bench-token-'));
  tempDirs.add(dataDir);
  const bootstrapFile = join(dataDir, 'bootstrap.json');
  await writeFile(
    bootstrapFile,
    JSON.stringify({
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          grant_types: ['client_credentials'],
          scope: SCOPE,
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
    }),
    { mode: 0o600 },
  );
  const { url, name } = await databases.create();
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    TMPDIR: process.env['TMPDIR'],
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    AUTH_ISSUER: issuer,
    AUTH_DEFAULT_AUDIENCE: AUDIENCE,
    AUTH_SIGNING_ALG: alg,
    AUTH_BOOTSTRAP_FILE: bootstrapFile,
    DATA_DIR: dataDir,
    LOG_LEVEL: LOG_LEVEL, // warn: request lines are logged at info, and would dominate
    // One client from one address sends every request: the per-address and per-client
    // limits of the token endpoint would answer 429 within seconds. The limiter still runs
    // (and is measured); only its limit is out of reach.
    RATE_LIMIT_TOKEN_PER_MINUTE: '10000000',
    ...(url ? { DATABASE_URL: url } : {}),
  };
  const args = build === 'dist' ? [SERVER_DIST] : ['-r', REGISTER, SERVER_SOURCE];
  const started = performance.now();
  const server = await startServer(`auth-server-${alg}${build === 'dist' ? '-dist' : ''}`, args, env, port);
  log(`auth-server ${alg} listening on ${server.baseUrl} after ${((performance.now() - started) / 1000).toFixed(1)} s (${databases.mode}, ${build})`);
  try {
    const check = await checkTokenEndpoint(`${issuer}/oauth2/token`, issuer, alg);
    return { alg, server, database: name, check };
  } catch (error) {
    await stopServer(server);
    throw Object.assign(error as Error, { output: server.output });
  }
}

/**
 * Stops the server (it flushes its audit buffer), then counts the token.issued events it
 * wrote (one per token issued, warm-up and checks included) and the transactions its
 * database committed over the server's whole life (start-up included).
 */
async function finishAuthServer(databases: Databases, run: AuthServerRun): Promise<Record<string, number>> {
  const code = await stopServer(run.server);
  if (code !== 0) log(`warning: auth-server ${run.alg} exited with code ${code}${describeOutput({ output: run.server.output })}`);
  const events = await databases.count(run.database, `SELECT count(*)::bigint AS n FROM audit_events WHERE type = 'token.issued'`);
  await new Promise((r) => setTimeout(r, 600)); // backends report their statistics as they exit
  const transactions = await databases.count(
    run.database,
    `SELECT (xact_commit + xact_rollback)::bigint AS n FROM pg_stat_database WHERE datname = current_database()`,
  );
  return {
    ...(events !== undefined ? { audit_token_events: events } : {}),
    ...(transactions !== undefined ? { db_transactions: transactions } : {}),
  };
}

function oidcProviderVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules/oidc-provider/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

async function startOidcProvider(): Promise<{ server: ServerProcess; check: TokenCheck }> {
  const port = await freePort();
  const server = await startServer(
    'oidc-provider-ES256',
    [OIDC_PROVIDER_SERVER],
    {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      NODE_ENV: 'production',
      PORT: String(port),
      BENCH_CLIENT_ID: CLIENT_ID,
      BENCH_CLIENT_SECRET: CLIENT_SECRET,
      BENCH_AUDIENCE: AUDIENCE,
      BENCH_SCOPE: SCOPE,
    },
    port,
  );
  try {
    const check = await checkTokenEndpoint(`${server.baseUrl}/token`, server.baseUrl, 'ES256');
    return { server, check };
  } catch (error) {
    await stopServer(server);
    throw Object.assign(error as Error, { output: server.output });
  }
}

// ---------------------------------------------------------------------------------------

function common(databases: Databases): Record<string, unknown> {
  return {
    connections: CONNECTIONS,
    database: databases.mode,
    log_level: LOG_LEVEL,
    server_run: SERVER_BUILD === 'dist' ? 'dist/apps/auth-server/main.js' : 'source (swc require hook)',
    cores: availableParallelism(),
  };
}

interface SigningRun {
  readonly load: Load;
  readonly reference: RawSigning;
  readonly before: RawSigning;
  readonly after: RawSigning;
  readonly threadpool: RawSigning | undefined;
  readonly database: Record<string, number>;
}

/**
 * auth-server signing with `alg` against raw signing on one core: warm-up, half the
 * reference just before the load, the load, the other half just after (so that a machine
 * growing busier or quieter meanwhile moves both alike), then a token check.
 */
async function measureAgainstRawSigning(databases: Databases, alg: Algorithm, build: ServerBuild): Promise<SigningRun> {
  const run = await startAuthServer(databases, alg, build);
  const url = `${run.server.baseUrl}/oauth2/token`;
  let result: Omit<SigningRun, 'database'>;
  try {
    const signer = rawSigner(alg);
    await warmUp(url);
    const half = REFERENCE_SECONDS / 2;
    log(`reference: raw node:crypto ${alg} signing, one core, ${half} s before and ${half} s after the load`);
    const before = signer(half);
    log(`auth-server ${alg} (${build}): ${CONNECTIONS} connections, ${SECONDS} s after ${WARM_UP_SECONDS} s warm-up`);
    const load = summarise([await loadSlice(run.server, url, SECONDS)]);
    const after = signer(half);
    const reference = rate([before, after]);
    log(`  ${describeLoad(load)}`);
    log(`  reference ${reference.opsPerSecond} ops/s (before ${rate([before]).opsPerSecond}, after ${rate([after]).opsPerSecond})`);
    let threadpool: RawSigning | undefined;
    if (alg === 'RS256') {
      threadpool = await threadpoolRs256Signing(REFERENCE_SECONDS / 2);
      log(`  context: async RS256 signing, ${CONNECTIONS} in flight on the libuv threadpool: ${threadpool.opsPerSecond} ops/s`);
    }
    assertHealthy(`auth-server ${alg} (${build})`, load);
    await checkTokenEndpoint(url, run.server.baseUrl, alg);
    result = { load, reference, before: rate([before]), after: rate([after]), threadpool };
  } catch (error) {
    await stopServer(run.server);
    throw Object.assign(error as Error, { output: run.server.output });
  }
  return { ...result, database: await finishAuthServer(databases, run) };
}

function signingMembers(run: SigningRun): Record<string, unknown> {
  return {
    ...loadMembers(run.load),
    reference_ops: run.reference.ops,
    reference_seconds: run.reference.seconds,
    reference_before_value: run.before.opsPerSecond,
    reference_after_value: run.after.opsPerSecond,
    ...(run.threadpool ? { raw_rs256_threadpool_ops_per_s: run.threadpool.opsPerSecond } : {}),
    ...run.database,
  };
}

async function rs256(databases: Databases): Promise<Figure> {
  const run = await measureAgainstRawSigning(databases, 'RS256', SERVER_BUILD);
  let built: Record<string, unknown> = {};
  if (BUILT && SERVER_BUILD === 'source') {
    const problem = distProblem();
    if (problem) {
      log(`BENCH_TOKEN_BUILT: not measuring the build: ${problem}`);
      built = { built: `not measured: ${problem}` };
    } else {
      const b = await measureAgainstRawSigning(databases, 'RS256', 'dist');
      built = {
        built_value: b.load.requestsPerSecond,
        built_reference_value: b.reference.opsPerSecond,
        built_ratio: round(b.load.requestsPerSecond / b.reference.opsPerSecond, 4),
        built_non_2xx: b.load.non2xx,
        built_server_cpu_cores: b.load.serverCpuCores,
        built_requests_per_server_cpu_second: b.load.okPerServerCpuSecond,
      };
    }
  }
  return {
    benchmark: 'token.client_credentials.RS256',
    value: run.load.requestsPerSecond,
    unit: 'req/s',
    reference: 'raw node:crypto RS256 signing, one core (ops/s)',
    reference_value: run.reference.opsPerSecond,
    ratio: round(run.load.requestsPerSecond / run.reference.opsPerSecond, 4),
    ...signingMembers(run),
    ...common(databases),
    ...built,
  };
}

/**
 * auth-server (ES256) and oidc-provider (ES256) both running, loaded in turn: auth-server
 * for half the time, oidc-provider for the whole time, auth-server for the other half,
 * so that drift in the machine's load weighs on both alike.
 */
async function es256VsOidcProvider(databases: Databases): Promise<Figure> {
  const raw = rate([rawSigner('ES256')(REFERENCE_SECONDS / 2)]);
  log(`context: raw node:crypto ES256 signing, one core: ${raw.opsPerSecond} ops/s`);

  const version = oidcProviderVersion();
  const run = await startAuthServer(databases, 'ES256');
  let provider: { server: ServerProcess; check: TokenCheck } | undefined;
  let load: Load;
  let reference: Load;
  let slices: number[];
  try {
    provider = await startOidcProvider();
    const ours = `${run.server.baseUrl}/oauth2/token`;
    const theirs = `${provider.server.baseUrl}/token`;
    await warmUp(ours);
    await warmUp(theirs);
    log(`auth-server ES256 ${SECONDS / 2} s, oidc-provider ${version} ES256 ${SECONDS} s, auth-server ${SECONDS / 2} s; ${CONNECTIONS} connections`);
    const first = await loadSlice(run.server, ours, SECONDS / 2);
    reference = summarise([await loadSlice(provider.server, theirs, SECONDS)]);
    const second = await loadSlice(run.server, ours, SECONDS / 2);
    load = summarise([first, second]);
    slices = [summarise([first]).requestsPerSecond, summarise([second]).requestsPerSecond];
    log(`  auth-server:   ${describeLoad(load)}`);
    log(`  oidc-provider: ${describeLoad(reference)}`);
    assertHealthy('auth-server ES256', load);
    assertHealthy('oidc-provider ES256', reference);
    await checkTokenEndpoint(ours, run.server.baseUrl, 'ES256');
    await checkTokenEndpoint(theirs, provider.server.baseUrl, 'ES256');
  } catch (error) {
    await stopServer(run.server);
    throw Object.assign(error as Error, { output: [...run.server.output, ...(provider?.server.output ?? [])] });
  } finally {
    if (provider) {
      const code = await stopServer(provider.server);
      if (code !== 0) log(`warning: oidc-provider exited with code ${code}${describeOutput({ output: provider.server.output })}`);
    }
  }
  const database = await finishAuthServer(databases, run);
  return {
    benchmark: 'token.client_credentials.ES256.vs_oidc_provider',
    value: load.requestsPerSecond,
    unit: 'req/s',
    reference: `oidc-provider ${version} token endpoint, client_credentials, ES256 JWT access tokens (same load and run)`,
    reference_value: reference.requestsPerSecond,
    ratio: round(load.requestsPerSecond / reference.requestsPerSecond, 4),
    ...loadMembers(load),
    value_slices: slices,
    ...loadMembers(reference, 'reference_'),
    ...database,
    raw_es256_sign_ops_per_s: raw.opsPerSecond,
    token_bytes: run.check.bytes,
    reference_token_bytes: provider.check.bytes,
    ...common(databases),
  };
}

async function eddsa(databases: Databases): Promise<Figure> {
  const run = await measureAgainstRawSigning(databases, 'EdDSA', SERVER_BUILD);
  return {
    benchmark: 'token.client_credentials.EdDSA',
    value: run.load.requestsPerSecond,
    unit: 'req/s',
    reference: 'raw node:crypto EdDSA (Ed25519) signing, one core (ops/s)',
    reference_value: run.reference.opsPerSecond,
    ratio: round(run.load.requestsPerSecond / run.reference.opsPerSecond, 4),
    ...signingMembers(run),
    ...common(databases),
  };
}

/** Stops what is still running, drops the databases, removes the data directories. */
async function cleanUp(databases: Databases | undefined, stopTimeoutMs = STOP_TIMEOUT_MS): Promise<void> {
  await Promise.all([...running].map((server) => stopServer(server, stopTimeoutMs).catch(() => undefined)));
  await databases?.dropAll();
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  tempDirs.clear();
}

async function main(): Promise<number> {
  if (SERVER_BUILD === 'dist') {
    const problem = distProblem();
    if (problem && !existsSync(SERVER_DIST)) {
      log(`BENCH_TOKEN_SERVER=dist: ${problem}`);
      return 2;
    }
    if (problem) log(`warning: BENCH_TOKEN_SERVER=dist: ${problem}; measuring it anyway`);
  }
  if (CPU_PROF_DIR) await mkdir(CPU_PROF_DIR, { recursive: true });

  let databases: Databases | undefined;
  const figures: Figure[] = [];
  let failed = false;
  let stopping = false;
  // Stopped by the orchestrator's timeout or by Ctrl-C: stop the servers, drop the databases.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopping = true;
      log(`${signal}: stopping servers and dropping databases`);
      // bench/run.mjs sends SIGKILL 10 s after SIGTERM: leave time to drop the databases.
      void cleanUp(databases, SIGNAL_STOP_TIMEOUT_MS).finally(() => {
        process.stdout.write(`${JSON.stringify({ figures })}\n`);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    });
  }

  try {
    databases = await openDatabases();
    const steps: [string, (d: Databases) => Promise<Figure>][] = [
      ['RS256', rs256],
      ['ES256 vs oidc-provider', es256VsOidcProvider],
      ...(EDDSA ? ([['EdDSA', eddsa]] as [string, (d: Databases) => Promise<Figure>][]) : []),
    ];
    for (const [name, step] of steps) {
      if (stopping) break;
      try {
        figures.push(await step(databases));
      } catch (error) {
        failed = true;
        if (!stopping) log(`${name} failed: ${(error as Error).stack ?? String(error)}${describeOutput(error)}`);
      }
    }
  } catch (error) {
    failed = true;
    log(`failed: ${(error as Error).message}`);
    if ((error as { usage?: boolean }).usage) {
      await cleanUp(databases);
      process.stdout.write(`${JSON.stringify({ figures })}\n`);
      return 2;
    }
  } finally {
    if (!stopping) await cleanUp(databases);
  }
  if (stopping) return new Promise<number>(() => undefined); // the signal handler exits
  if (CPU_PROF_DIR) log(`CPU profiles in ${CPU_PROF_DIR}: node bench/tools/cpuprofile-summary.mjs <file>`);
  process.stdout.write(`${JSON.stringify({ figures })}\n`);
  return failed ? 1 : 0;
}

runBenchmark(main, log);
