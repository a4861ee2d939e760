#!/usr/bin/env node
// The benchmark suite: `npm run bench` (node bench/run.mjs [--only <name-prefix>]...).
//
// Runs every bench/*.bench.ts (sorted) in its own Node process through the workspace's
// TypeScript require hook, reads the figures each prints as {"figures":[...]} on its last
// stdout line, writes them to bench/results/latest.json and prints a table. Exits non-zero
// when a benchmark fails, after writing what was measured. See bench/README.md.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const RESULTS_DIR = join(BENCH_DIR, 'results');
const RESULTS_FILE = join(RESULTS_DIR, 'latest.json');
// `-r` resolves a bare path as a package name: the leading ./ is needed (relative to ROOT).
const REGISTER = './libs/testing/farm/register-ts.cjs';
const SUFFIX = '.bench.ts';
const TIMEOUT_MS = positive(process.env.BENCH_TIMEOUT_MS, 120_000); // per benchmark module
const KILL_GRACE_MS = 10_000; // between SIGTERM (the module cleans up) and SIGKILL

function positive(text, fallback) {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

function usage() {
  return [
    'usage: node bench/run.mjs [--only <name-prefix>]...',
    '',
    '  --only P   run only the modules whose name (bench/<name>.bench.ts) starts with P;',
    '             P may also be a figure name such as audit.batched (repeatable, or comma-separated)',
    '',
    `  BENCH_TIMEOUT_MS  time limit per module (default ${TIMEOUT_MS})`,
  ].join('\n');
}

function parseArgs(argv) {
  const only = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(usage());
      process.exit(0);
    } else if (arg === '--only') {
      if (argv[i + 1] === undefined) fail('--only needs a name prefix');
      only.push(...argv[(i += 1)].split(','));
    } else if (arg.startsWith('--only=')) {
      only.push(...arg.slice('--only='.length).split(','));
    } else {
      fail(`unknown argument ${arg}`);
    }
  }
  return { only: only.map((p) => p.trim()).filter(Boolean) };
}

function fail(message) {
  console.error(`bench: ${message}\n\n${usage()}`);
  process.exit(2);
}

/** bench/<name>.bench.ts, sorted by name. */
function discover() {
  return readdirSync(BENCH_DIR)
    .filter((file) => file.endsWith(SUFFIX))
    .sort()
    .map((file) => ({ name: file.slice(0, -SUFFIX.length), path: relative(ROOT, join(BENCH_DIR, file)) }));
}

/** A module runs when a prefix selects it; a prefix longer than its name also filters its figures. */
function select(modules, only) {
  if (only.length === 0) return modules.map((module) => ({ ...module, keep: () => true }));
  return modules
    .map((module) => {
      const prefixes = only.filter((p) => module.name.startsWith(p) || p.startsWith(`${module.name}.`));
      const keep = (figure) =>
        prefixes.some((p) => module.name.startsWith(p) || String(figure.benchmark).startsWith(p));
      return { ...module, prefixes, keep };
    })
    .filter((module) => module.prefixes.length > 0);
}

function isFigure(value) {
  const finite = (x) => typeof x === 'number' && Number.isFinite(x);
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof value.benchmark === 'string' &&
    value.benchmark.length > 0 &&
    finite(value.value) &&
    typeof value.unit === 'string' &&
    typeof value.reference === 'string' &&
    finite(value.reference_value) &&
    finite(value.ratio)
  );
}

let current; // the running module's process
let interrupted;

// Ctrl-C or SIGTERM: let the running module clean up (it drops what it created), then
// write what was measured and stop.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = signal;
    console.error(`bench: ${signal}; stopping after the running module cleans up`);
    current?.kill('SIGTERM');
  });
}

/** Runs one module; resolves with its figures and, when it failed, why. */
function runModule(module) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['-r', REGISTER, module.path], {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let lastLine = '';
    let pending = '';
    let timedOut = false;
    let killTimer;

    // Forward the module's other output as it comes; hold back the last line.
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop();
      for (const line of lines) {
        if (!line.trim()) continue;
        if (lastLine) process.stdout.write(`[${module.name}] ${lastLine}\n`);
        lastLine = line;
      }
    });

    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`bench: ${module.name} exceeded ${TIMEOUT_MS} ms; stopping it`);
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    }, TIMEOUT_MS);

    current = child;
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ figures: [], error: `could not start: ${error.message}`, ms: Date.now() - started });
    });

    child.on('close', (code, signal) => {
      current = undefined;
      clearTimeout(timer);
      clearTimeout(killTimer);
      if (pending.trim()) {
        if (lastLine) process.stdout.write(`[${module.name}] ${lastLine}\n`);
        lastLine = pending;
      }
      const ms = Date.now() - started;
      const problems = [];
      if (timedOut) problems.push(`timed out after ${TIMEOUT_MS} ms`);
      else if (signal) problems.push(`killed by ${signal}`);
      else if (code !== 0) problems.push(`exited with code ${code}`);
      let figures = [];
      if (lastLine) {
        try {
          const parsed = JSON.parse(lastLine);
          if (!parsed || !Array.isArray(parsed.figures)) throw new Error('no "figures" array');
          for (const figure of parsed.figures) {
            if (isFigure(figure)) figures.push(figure);
            else problems.push(`malformed figure ${JSON.stringify(figure).slice(0, 200)}`);
          }
        } catch (error) {
          process.stdout.write(`[${module.name}] ${lastLine}\n`);
          problems.push(`last stdout line is not {"figures":[...]} (${error.message})`);
        }
      } else if (problems.length === 0) {
        problems.push('printed nothing on stdout');
      }
      figures = figures.filter(module.keep);
      if (problems.length === 0 && figures.length === 0) problems.push('reported no figures');
      resolve({ figures, error: problems.length > 0 ? problems.join('; ') : undefined, ms });
    });
  });
}

function table(figures) {
  const header = ['benchmark', 'value', 'unit', 'reference', 'reference value', 'ratio'];
  const number = (x) => x.toLocaleString('en-US', { maximumFractionDigits: 1 });
  const rows = figures.map((f) => [f.benchmark, number(f.value), f.unit, f.reference, number(f.reference_value), f.ratio.toFixed(2)]);
  const numeric = new Set([1, 4, 5]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main() {
  const { only } = parseArgs(process.argv.slice(2));
  const all = discover();
  const modules = select(all, only);
  if (modules.length === 0) {
    const names = all.map((m) => m.name).join(', ') || 'none';
    fail(only.length > 0 ? `no benchmark matches ${only.join(', ')} (modules: ${names})` : 'no bench/*.bench.ts found');
  }

  const figures = [];
  const failures = [];
  for (const module of modules) {
    if (interrupted) {
      failures.push({ name: module.name, error: `not run (${interrupted})` });
      continue;
    }
    console.log(`bench: running ${module.name} (${module.path})`);
    const result = await runModule(module);
    figures.push(...result.figures);
    console.log(`bench: ${module.name} ${result.error ? 'FAILED' : 'done'} in ${(result.ms / 1000).toFixed(1)} s`);
    if (result.error) failures.push({ name: module.name, error: result.error });
  }

  mkdirSync(RESULTS_DIR, { recursive: true });
  if (!existsSync(join(RESULTS_DIR, '.gitkeep'))) writeFileSync(join(RESULTS_DIR, '.gitkeep'), '');
  writeFileSync(RESULTS_FILE, `${JSON.stringify(figures, null, 2)}\n`);

  console.log('');
  console.log(figures.length > 0 ? table(figures) : '(no figures)');
  console.log('');
  console.log(`bench: ${figures.length} figure(s) written to ${relative(ROOT, RESULTS_FILE)}`);
  console.log('bench: the machine is shared and noisy; compare ratios, not absolute values');
  for (const { name, error } of failures) console.error(`bench: FAILED ${name}: ${error}`);
  process.exitCode = interrupted ? 130 : failures.length > 0 ? 1 : 0;
}

await main();
