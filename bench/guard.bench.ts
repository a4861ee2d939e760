/**
 * guard.*: requests per second of a NestJS route guarded by @authkit/auth
 * (`AuthModule.forRoot` with a local RS256 key + `@UseGuards(JwtAuthGuard)`) against the
 * same route unguarded, on the same platform, in the same server process and run,
 * measured with autocannon over 127.0.0.1:
 *
 *   guard.fastify   NestJS on Fastify
 *   guard.express   NestJS on Express
 *
 * Each figure also carries, against the same reference, passport-jwt as users configure it
 * today (`passport_jwt_value`, `passport_jwt_ratio`) and the guard with the verified-token
 * cache disabled, i.e. a signature check on every request (`cold_value`, `cold_ratio`).
 *
 * The server runs in a child process (bench/servers/guard-app.ts, forked through the
 * TypeScript require hook), one per platform, so that the load generator does not share
 * its event loop. Every request of every run carries `Authorization: Bearer <token>`, the
 * tokens taken round-robin from a pool of distinct valid RS256 RFC 9068 access tokens, as
 * clients that keep a token for its lifetime send them; the unguarded route gets the very
 * same requests. The four variants are measured interleaved in rounds (see
 * {@link platformFigure}). Before measuring, every route must answer 200 to a valid token
 * and the guarded ones 401 without a token or with a bad signature; any non-2xx response,
 * socket error or timeout during a measured load fails the module.
 *
 * Run alone: node -r ./libs/testing/farm/register-ts.cjs bench/guard.bench.ts
 * Protocol (see bench/README.md): the last stdout line is {"figures":[...]}.
 *
 * Environment:
 *   BENCH_GUARD_SECONDS          measured load per variant (default 5), split over the rounds
 *   BENCH_GUARD_ROUNDS           interleaved rounds (default 5: five 1 s slices per variant)
 *   BENCH_GUARD_WARMUP_SECONDS   load on each variant before the first round, not counted (default 1)
 *   BENCH_GUARD_CONNECTIONS      autocannon connections (default 10)
 *   BENCH_GUARD_TOKENS           size of the token pool (default 100)
 *   BENCH_GUARD_PLATFORMS        comma-separated subset of fastify,express (default both)
 *   BENCH_GUARD_CPU_PROF         a directory: the server processes run with --cpu-prof and write
 *                                their profiles there; the profile window of each measured slice
 *                                is logged (with BENCH_GUARD_ROUNDS=1 one window per variant; see
 *                                bench/tools/cpuprofile-summary.mjs --window)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ChildMessage, Platform, StartMessage } from './servers/guard-app';
import { autocannon, type AutocannonResult } from './support/autocannon';
import { nonSuccessStatuses, type Figure, positive, round, progressLog } from './support/bench-kit';


const ROOT = resolve(__dirname, '..');
const REGISTER = join(ROOT, 'libs/testing/farm/register-ts.cjs');
const SERVER = join(ROOT, 'bench/servers/guard-app.ts');

const SECONDS = positive(process.env['BENCH_GUARD_SECONDS'], 5);
const WARM_UP_SECONDS = positive(process.env['BENCH_GUARD_WARMUP_SECONDS'], 1);
const ROUNDS = Math.round(positive(process.env['BENCH_GUARD_ROUNDS'], 5));
const CONNECTIONS = Math.round(positive(process.env['BENCH_GUARD_CONNECTIONS'], 10));
const POOL_SIZE = Math.round(positive(process.env['BENCH_GUARD_TOKENS'], 100));
const PLATFORMS = platforms(process.env['BENCH_GUARD_PLATFORMS']);
const CPU_PROF_DIR = process.env['BENCH_GUARD_CPU_PROF'] ? resolve(process.env['BENCH_GUARD_CPU_PROF']) : undefined;

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const ISSUER = 'https://auth.bench.example';
const AUDIENCE = 'https://api.bench.example';
const TOKEN_LIFETIME_S = 3_600; // far beyond the run: no token expires while measured
const CLOCK_TICKS = 100; // USER_HZ on Linux, the unit of /proc/<pid>/stat times



function platforms(text: string | undefined): Platform[] {
  if (!text) return ['fastify', 'express'];
  const chosen = text.split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of chosen) if (p !== 'fastify' && p !== 'express') throw new Error(`BENCH_GUARD_PLATFORMS: unknown platform ${p}`);
  return chosen as Platform[];
}

const log = progressLog('guard.bench');


// ---------------------------------------------------------------------------------------
// Tokens: RS256 RFC 9068 access tokens signed with node:crypto, as libs/auth/test/token-factory.ts does

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function mint(privateKey: KeyObject, kid: string, n: number): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'at+jwt', kid };
  const claims = {
    iss: ISSUER,
    sub: `user-${n}`,
    aud: AUDIENCE,
    exp: now + TOKEN_LIFETIME_S,
    iat: now,
    jti: randomBytes(12).toString('base64url'),
    client_id: 'bench-client',
    scope: 'openid reports:read',
  };
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

/** The same token with one signature bit flipped: well formed, known key, wrong signature. */
function tampered(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const signature = Buffer.from(s, 'base64url');
  signature[0] = (signature[0] ?? 0) ^ 1;
  return `${h}.${p}.${signature.toString('base64url')}`;
}

// ---------------------------------------------------------------------------------------
// The server process

interface Server {
  readonly platform: Platform;
  readonly child: ChildProcess;
  readonly main: string; // base URL of the app with /unguarded, /guarded, /passport-jwt
  readonly cold: string; // base URL of the app with /guarded, verifiedCacheSize 0
  readonly output: string[]; // its last lines of stdout and stderr, shown on failure
  readonly exited: Promise<number | null>;
}

/** Every server process forked and not yet stopped, from the fork on (a signal stops them all). */
const running = new Set<{ readonly child: ChildProcess; readonly exited: Promise<number | null> }>();

function keep(output: string[], chunk: Buffer): void {
  for (const line of chunk.toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    output.push(line.length > 2_000 ? `${line.slice(0, 2_000)}...` : line);
    if (output.length > 60) output.shift();
  }
}

/** Forks bench/servers/guard-app.ts for one platform and waits for its two ports. */
function startServer(platform: Platform, start: Omit<StartMessage, 'type' | 'platform'>): Promise<Server> {
  const profile = CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`, `--cpu-prof-name=guard-${platform}.${Date.now()}.cpuprofile`] : [];
  const child = fork(SERVER, [], {
    cwd: ROOT,
    execArgv: [...profile, '-r', REGISTER],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => keep(output, chunk));
  child.stderr?.on('data', (chunk: Buffer) => keep(output, chunk));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  running.add({ child, exited });

  return new Promise<Server>((resolveReady, reject) => {
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(Object.assign(error, { output }));
    };
    const timer = setTimeout(() => fail(new Error(`the ${platform} server did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    child.once('error', fail);
    void exited.then((code) => fail(new Error(`the ${platform} server exited (code ${code}) before it was ready`)));
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'failed') fail(new Error(`the ${platform} server failed to start: ${message.error}`));
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      const server: Server = {
        platform,
        child,
        main: `http://127.0.0.1:${message.ports.main}`,
        cold: `http://127.0.0.1:${message.ports.cold}`,
        output,
        exited,
      };
      resolveReady(server);
    });
    child.send({ type: 'start', platform, ...start } satisfies StartMessage);
  }).catch(async (error: Error) => {
    await stopServer({ child, exited });
    throw error;
  });
}

/** SIGTERM (the server closes its apps and exits), then SIGKILL if it lingers. */
async function stopServer(server: { readonly child: ChildProcess; readonly exited: Promise<number | null> }): Promise<void> {
  for (const entry of running) if (entry.child === server.child) running.delete(entry);
  if (server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGTERM');
    const timer = setTimeout(() => server.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await server.exited;
    clearTimeout(timer);
  }
}

/** User plus system CPU seconds of a process, from /proc (undefined elsewhere). */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Checks and loads

async function status(url: string, token?: string): Promise<{ status: number; challenge: string | null }> {
  const response = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return { status: response.status, challenge: response.headers.get('www-authenticate') };
}

/** Before measuring: every route answers 200 to a valid token, the guarded ones 401 without one or with a bad signature. */
async function sanity(server: Server, tokens: readonly string[]): Promise<void> {
  const expect = async (what: string, url: string, token: string | undefined, wanted: number) => {
    const got = await status(url, token);
    if (got.status !== wanted) throw new Error(`${server.platform}: ${what}: GET ${url} answered ${got.status}, expected ${wanted}`);
    return got;
  };
  const token = tokens[0] as string;
  await expect('unguarded, with a token', `${server.main}/unguarded`, token, 200);
  await expect('unguarded, without a token', `${server.main}/unguarded`, undefined, 200);
  for (const [name, url] of [
    ['guarded', `${server.main}/guarded`],
    ['guarded, no cache', `${server.cold}/guarded`],
    ['passport-jwt', `${server.main}/passport-jwt`],
  ] as const) {
    await expect(`${name}, valid token`, url, token, 200);
    const missing = await expect(`${name}, no token`, url, undefined, 401);
    await expect(`${name}, bad signature`, url, tampered(token), 401);
    if (name !== 'passport-jwt' && !/^Bearer /.test(missing.challenge ?? '')) {
      throw new Error(`${server.platform}: ${name}: 401 without a Bearer challenge (${missing.challenge})`);
    }
  }
  // The whole pool is valid for the guard (and so for the other runs).
  const statuses = await Promise.all(tokens.map((t) => status(`${server.cold}/guarded`, t)));
  const refused = statuses.filter((s) => s.status !== 200).length;
  if (refused > 0) throw new Error(`${server.platform}: ${refused} of ${tokens.length} pool tokens refused`);
}

interface Slice {
  readonly ok: number; // 2xx responses
  readonly non2xx: number;
  readonly statuses: Record<string, number>; // non-2xx responses by status
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number; // as measured by autocannon
  readonly p99: number;
  readonly serverCpuSeconds: number | undefined;
}

/** One variant's slices put together. */
interface Load {
  readonly rps: number; // 2xx responses per second over all slices
  readonly ok: number;
  readonly non2xx: number;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  readonly p99: number; // the worst slice
  readonly serverCpuCores: number | undefined; // CPU seconds of the server process per second
  readonly cpuMicrosPerRequest: number | undefined; // server CPU per 2xx response
}

function cannon(url: string, path: string, tokens: readonly string[], seconds: number): Promise<AutocannonResult> {
  return autocannon({
    url,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    // Each connection walks the pool in order, round-robin.
    requests: tokens.map((token) => ({ method: 'GET', path, headers: { authorization: `Bearer ${token}` } })),
  });
}

interface Variant {
  readonly name: string;
  readonly url: string;
  readonly path: string;
  readonly slices: Slice[];
}

async function slice(server: Server, variant: Variant, tokens: readonly string[], seconds: number): Promise<Slice> {
  const cpuBefore = cpuSeconds(server.child.pid);
  const monotonicStart = process.hrtime.bigint() / 1000n;
  const result = await cannon(variant.url, variant.path, tokens, seconds);
  const monotonicEnd = process.hrtime.bigint() / 1000n;
  const cpuAfter = cpuSeconds(server.child.pid);
  if (CPU_PROF_DIR) log(`    ${variant.name}: profile window (pid ${server.child.pid}) --window ${monotonicStart}:${monotonicEnd}`);
  return {
    ok: result['2xx'],
    non2xx: result.non2xx,
    statuses: nonSuccessStatuses(result.statusCodeStats),
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
    p99: result.latency.p99,
    serverCpuSeconds: cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined,
  };
}

function combine(variant: Variant): Load {
  const sum = (f: (s: Slice) => number) => variant.slices.reduce((total, s) => total + f(s), 0);
  const ok = sum((s) => s.ok);
  const seconds = sum((s) => s.seconds);
  const cpu = variant.slices.every((s) => s.serverCpuSeconds !== undefined) ? sum((s) => s.serverCpuSeconds as number) : undefined;
  const statuses: Record<string, number> = {};
  for (const s of variant.slices) for (const [code, count] of Object.entries(s.statuses)) statuses[code] = (statuses[code] ?? 0) + count;
  return {
    rps: round(ok / seconds),
    ok,
    non2xx: sum((s) => s.non2xx),
    statuses,
    errors: sum((s) => s.errors),
    timeouts: sum((s) => s.timeouts),
    seconds: round(seconds, 3),
    p99: Math.max(...variant.slices.map((s) => s.p99)),
    serverCpuCores: cpu === undefined ? undefined : round(cpu / seconds, 2),
    cpuMicrosPerRequest: cpu === undefined || ok === 0 ? undefined : round((cpu * 1e6) / ok),
  };
}

/**
 * One platform. The four variants (unguarded, guarded, passport-jwt, guarded without
 * cache) are measured interleaved: after a warm-up round, {@link ROUNDS} rounds each give
 * every variant one slice of SECONDS / ROUNDS, the order rotating from round to round, so
 * that a drift of the shared machine's load falls on all variants alike. A variant's
 * figure is its 2xx responses over its slices' total duration.
 */
async function platformFigure(platform: Platform, start: Omit<StartMessage, 'type' | 'platform'>, tokens: readonly string[]): Promise<{ figure: Figure; clean: boolean }> {
  log(`${platform}: starting the server`);
  const server = await startServer(platform, start);
  try {
    await sanity(server, tokens);
    log(
      `${platform}: sanity checks passed (200 with a token; 401 without one or with a bad signature); ` +
        `${WARM_UP_SECONDS} s warm-up then ${ROUNDS} x ${round(SECONDS / ROUNDS, 2)} s per variant, ${CONNECTIONS} connections, ${tokens.length} tokens`,
    );
    const variants: Variant[] = [
      { name: 'unguarded', url: server.main, path: '/unguarded', slices: [] },
      { name: 'guarded', url: server.main, path: '/guarded', slices: [] },
      { name: 'passport-jwt', url: server.main, path: '/passport-jwt', slices: [] },
      { name: 'guarded, no cache', url: server.cold, path: '/guarded', slices: [] },
    ];
    for (const variant of variants) await cannon(variant.url, variant.path, tokens, WARM_UP_SECONDS);
    for (let r = 0; r < ROUNDS; r += 1) {
      for (let i = 0; i < variants.length; i += 1) {
        const variant = variants[(r + i) % variants.length] as Variant;
        variant.slices.push(await slice(server, variant, tokens, SECONDS / ROUNDS));
      }
    }
    const [unguarded, guarded, passport, cold] = variants.map(combine) as [Load, Load, Load, Load];
    variants.forEach((variant, i) => {
      const load = [unguarded, guarded, passport, cold][i] as Load;
      const problems = load.non2xx + load.errors + load.timeouts > 0 ? `; non-2xx ${load.non2xx} ${JSON.stringify(load.statuses)}, errors ${load.errors}, timeouts ${load.timeouts}` : '';
      log(`  ${platform} ${variant.name.padEnd(17)} ${String(load.rps).padStart(8)} req/s  p99 ${load.p99} ms  server CPU ${load.serverCpuCores ?? '?'} cores, ${load.cpuMicrosPerRequest ?? '?'} us/request${problems}`);
    });

    const reference = unguarded.rps;
    const ratio = (load: Load) => round(load.rps / reference, 3);
    const cpuRatio = (load: Load) =>
      load.cpuMicrosPerRequest && unguarded.cpuMicrosPerRequest ? round(unguarded.cpuMicrosPerRequest / load.cpuMicrosPerRequest, 3) : undefined;
    const clean = [unguarded, guarded, passport, cold].every((load) => load.non2xx === 0 && load.errors === 0 && load.timeouts === 0);
    const label = platform === 'fastify' ? 'Fastify' : 'Express';
    const figure: Figure = {
      benchmark: `guard.${platform}`,
      value: guarded.rps,
      unit: 'req/s',
      reference: `same route unguarded, NestJS on ${label}, same process and run`,
      reference_value: reference,
      ratio: guarded.rps / reference,
      non_2xx: guarded.non2xx,
      errors: guarded.errors + guarded.timeouts,
      passport_jwt_value: passport.rps,
      passport_jwt_ratio: ratio(passport),
      passport_jwt_non_2xx: passport.non2xx,
      cold_value: cold.rps,
      cold_ratio: ratio(cold),
      cold_non_2xx: cold.non2xx,
      reference_non_2xx: unguarded.non2xx,
      // Server CPU per answered request: the ratio a CPU-bound server would reach, less
      // sensitive than req/s to how much CPU the shared machine leaves the server.
      cpu_us_per_request: guarded.cpuMicrosPerRequest,
      reference_cpu_us_per_request: unguarded.cpuMicrosPerRequest,
      cpu_ratio: cpuRatio(guarded),
      passport_jwt_cpu_ratio: cpuRatio(passport),
      cold_cpu_ratio: cpuRatio(cold),
      server_cpu_cores: guarded.serverCpuCores,
      reference_server_cpu_cores: unguarded.serverCpuCores,
      p99_ms: guarded.p99,
      reference_p99_ms: unguarded.p99,
      tokens: tokens.length,
      connections: CONNECTIONS,
      seconds: guarded.seconds,
      reference_seconds: unguarded.seconds,
      rounds: ROUNDS,
    };
    return { figure, clean };
  } catch (error) {
    const output = (error as { output?: string[] }).output ?? server.output;
    throw Object.assign(error as Error, { output });
  } finally {
    await stopServer(server);
  }
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const figures: Figure[] = [];
  let failed = false;
  let stopping = false;
  const report = () => process.stdout.write(`${JSON.stringify({ figures })}\n`);

  // Stopped by the orchestrator (timeout) or Ctrl-C: stop the servers, report what was measured.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopping = true;
      log(`${signal}: stopping the servers`);
      void Promise.allSettled([...running].map(stopServer)).finally(() => {
        report();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    });
  }

  if (CPU_PROF_DIR) await mkdir(CPU_PROF_DIR, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(8).toString('hex');
  const tokens = Array.from({ length: POOL_SIZE }, (_, n) => mint(privateKey, kid, n));
  const start = { issuer: ISSUER, audience: AUDIENCE, kid, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };

  for (const platform of PLATFORMS) {
    if (stopping) break;
    try {
      const { figure, clean } = await platformFigure(platform, start, tokens);
      figures.push(figure);
      if (!clean) {
        failed = true;
        log(`${platform}: FAILED: a measured load had non-2xx responses, errors or timeouts (see above)`);
      }
    } catch (error) {
      if (stopping) break;
      failed = true;
      const output = (error as { output?: string[] }).output;
      log(`${platform}: failed: ${(error as Error).stack ?? String(error)}${output?.length ? `\n  server output:\n    ${output.slice(-25).join('\n    ')}` : ''}`);
    }
  }
  if (stopping) return new Promise(() => undefined); // the signal handler reports and exits
  report();
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    process.stdout.write(`${JSON.stringify({ figures: [] })}\n`);
    process.exitCode = 1;
  },
);
