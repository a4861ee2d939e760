// Server processes started by the benchmark modules: spawned with an IPC channel and
// bench/servers/exit-with-parent.cjs (they get SIGTERM if the benchmark process dies), ready
// once they print their `"msg":"listening"` JSON line, stopped with SIGTERM then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const EXIT_WITH_PARENT = join(ROOT, 'bench/servers/exit-with-parent.cjs');
const READY_TIMEOUT_MS = 90_000;
export const STOP_TIMEOUT_MS = 20_000;

export interface ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  readonly baseUrl: string;
  readonly output: string[]; // last lines of stdout and stderr, shown on failure
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function freePort(): Promise<number> {
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

export interface ServerProcesses {
  /** The servers started and not yet exited. */
  readonly running: Set<ServerProcess>;
  startServer(name: string, args: string[], env: NodeJS.ProcessEnv, port: number): Promise<ServerProcess>;
  stopServer(server: ServerProcess, timeoutMs?: number): Promise<number | null>;
}

/** Starts and stops servers, logging through `log`; with `cpuProfDir` they run with --cpu-prof. */
export function serverProcesses({ log, cpuProfDir }: { log: (message: string) => void; cpuProfDir?: string }): ServerProcesses {
  const running = new Set<ServerProcess>();

  /** Spawns a server and resolves once it prints its `"msg":"listening"` JSON line (with its port). */
  async function startServer(name: string, args: string[], env: NodeJS.ProcessEnv, port: number): Promise<ServerProcess> {
    const nodeArgs = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=${name}.${Date.now()}.cpuprofile`] : [];
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

  return { running, startServer, stopServer };
}

export function describeOutput(error: unknown): string {
  const output = (error as { output?: string[] })?.output;
  return output?.length ? `\n  last output:\n    ${output.slice(-25).join('\n    ')}` : '';
}
