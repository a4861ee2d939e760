// Shared pieces of the benchmark modules (see bench/README.md for the protocol).

/** One figure of bench/results/latest.json (format in the project contract). */
export interface Figure {
  readonly benchmark: string;
  readonly value: number;
  readonly unit: string;
  readonly reference: string;
  readonly reference_value: number;
  readonly ratio: number;
  readonly [extra: string]: unknown;
}

/** A positive number from an environment variable, or the fallback. */
export function positive(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Progress goes to stderr, prefixed with the module name; stdout carries only figures. */
export function progressLog(module: string): (message: string) => void {
  return (message) => process.stderr.write(`[${module}] ${message}\n`);
}

/** Runs a module's main and turns its result (or a crash) into the exit code. */
export function runBenchmark(main: () => Promise<number>, log: (message: string) => void): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      log(`failed: ${(error as Error).stack ?? String(error)}`);
      process.exitCode = 1;
    },
  );
}

/** autocannon's count of answers by status code, for the statuses that are not 2xx. */
export function nonSuccessStatuses(stats: Record<string, { count: number }> | undefined): Record<string, number> {
  return Object.fromEntries(
    Object.entries(stats ?? {})
      .filter(([status]) => !status.startsWith('2'))
      .map(([status, { count }]) => [status, count]),
  );
}
