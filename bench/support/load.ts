// Accounting of an autocannon load against a server process: responses, latency, and the
// CPU used meanwhile by the server, this process (the load generator), PostgreSQL and the machine.
import type { AutocannonResult } from './autocannon';
import { nonSuccessStatuses, round } from './bench-kit';
import { machineCpu, postgresCpuSeconds, processCpuSeconds } from './proc-cpu';
import type { ServerProcess } from './server-process';

/** One autocannon run, with the CPU each side used meanwhile. */
export interface LoadSlice {
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
export interface Load {
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
  /**
   * Main-thread CPU per answered request, in microseconds: the server's own cost per request,
   * which depends far less on the machine's load than requests per second do.
   */
  readonly mainThreadMicrosPerRequest: number | undefined;
}

/**
 * One autocannon run (`run`) against `server`, with the CPU each side used meanwhile. With
 * `profileLog`, logs the monotonic window of the run (for --cpu-prof profiles).
 */
export async function measureLoad(
  server: ServerProcess,
  run: () => Promise<AutocannonResult>,
  profileLog?: (message: string) => void,
): Promise<LoadSlice> {
  const serverBefore = processCpuSeconds(server.child.pid);
  const mainBefore = processCpuSeconds(server.child.pid, true);
  const postgresBefore = postgresCpuSeconds();
  const machineBefore = machineCpu();
  const ownBefore = process.cpuUsage();
  const monotonicStart = process.hrtime.bigint() / 1000n;
  const wallStart = performance.now();
  const result = await run();
  const wall = (performance.now() - wallStart) / 1000;
  const monotonicEnd = process.hrtime.bigint() / 1000n;
  const own = process.cpuUsage(ownBefore);
  const serverAfter = processCpuSeconds(server.child.pid);
  const mainAfter = processCpuSeconds(server.child.pid, true);
  const postgresAfter = postgresCpuSeconds();
  const machineAfter = machineCpu();
  if (profileLog) profileLog(`  profile window of ${server.name} (pid ${server.child.pid}): --window ${monotonicStart}:${monotonicEnd}`);
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

export function summarise(slices: readonly LoadSlice[]): Load {
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
    mainThreadMicrosPerRequest: mainThreadCpu !== undefined && ok + sum((x) => x.non2xx) > 0 ? round((mainThreadCpu * 1e6) / (ok + sum((x) => x.non2xx)), 1) : undefined,
  };
}

export function loadMembers(load: Load, prefix = ''): Record<string, unknown> {
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
    server_main_thread_us_per_request: load.mainThreadMicrosPerRequest,
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

export function describeLoad(load: Load): string {
  return `${load.requestsPerSecond} req/s (server ${load.serverCpuCores ?? '?'} cores, main thread ${load.serverMainThreadCores ?? '?'} = ${load.mainThreadMicrosPerRequest ?? '?'} µs/request, load generator ${load.loadCpuCores} cores, machine busy ${load.machineBusyCores ?? '?'} cores)`;
}
