#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof) as text: where the samples fall by
// package or source area, the top functions by self time, and inclusive time of the
// functions and areas that matter on the token endpoint's hot path.
//
//   node bench/tools/cpuprofile-summary.mjs <file.cpuprofile> [--window START_US:END_US] [--top N]
//
// --window keeps only the samples taken between two CLOCK_MONOTONIC timestamps in
// microseconds (what process.hrtime.bigint() / 1000n reads on Linux, and what
// bench/token.bench.ts prints for each measured load when BENCH_TOKEN_CPU_PROF is set).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--') && !/^\d/.test(a));
if (!file) {
  console.error('usage: node bench/tools/cpuprofile-summary.mjs <file.cpuprofile> [--window START_US:END_US] [--top N]');
  process.exit(2);
}
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const top = Number(option('--top') ?? 30);
const [windowStart, windowEnd] = (option('--window') ?? '').split(':').map((x) => (x ? Number(x) : undefined));

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** Where a frame's code comes from: a package, an area of the workspace, or a V8 pseudo-frame. */
function area(frame) {
  const url = frame.url ?? '';
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  const m = /\/(apps|libs|bench)\/(.+)$/.exec(url.replace(/^file:\/\//, ''));
  if (m) {
    const parts = m[2].split('/');
    return `${m[1]}/${parts.slice(0, m[1] === 'bench' ? 1 : Math.min(parts.length - 1, 4)).join('/')}`;
  }
  return url;
}

const key = (frame) => `${frame.functionName || '(anonymous)'} ${area(frame)}${frame.url && !frame.url.startsWith('node:') ? `:${frame.lineNumber + 1}` : ''}`;

// Sample timestamps: startTime + running sum of timeDeltas.
let t = profile.startTime;
const kept = [];
for (let i = 0; i < profile.samples.length; i += 1) {
  t += profile.timeDeltas[i] ?? 0;
  if (windowStart !== undefined && t < windowStart) continue;
  if (windowEnd !== undefined && t > windowEnd) continue;
  kept.push(profile.samples[i]);
}
const total = kept.length;
const span = (profile.endTime - profile.startTime) / 1e6;
const interval = profile.samples.length ? (profile.endTime - profile.startTime) / profile.samples.length / 1000 : 0;
console.log(`${file}`);
console.log(`${profile.samples.length} samples over ${span.toFixed(1)} s (about ${interval.toFixed(2)} ms each); ${total} in the window`);
if (total === 0) process.exit(0);

const selfByKey = new Map();
const selfByArea = new Map();
const inclusiveByKey = new Map();
const inclusiveByArea = new Map();
const bump = (map, k) => map.set(k, (map.get(k) ?? 0) + 1);
for (const id of kept) {
  const frame = nodes.get(id).callFrame;
  bump(selfByKey, key(frame));
  bump(selfByArea, area(frame));
  const seenKeys = new Set();
  const seenAreas = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const f = nodes.get(cur).callFrame;
    seenKeys.add(key(f));
    seenAreas.add(area(f));
  }
  for (const k of seenKeys) bump(inclusiveByKey, k);
  for (const a of seenAreas) bump(inclusiveByArea, a);
}

const pct = (n) => `${((100 * n) / total).toFixed(1).padStart(5)} %`;
const print = (title, map, n, filter = () => true) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...map.entries()].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`  ${pct(v)}  ${k}`);
  }
};
print('self time by area (package, node: module, or workspace folder)', selfByArea, top);
print('inclusive time by area', inclusiveByArea, top, (a) => !a.startsWith('('));
print('self time by function', selfByKey, top);
print('inclusive time by function (workspace code)', inclusiveByKey, top, (k) => / (apps|libs)\//.test(k));
