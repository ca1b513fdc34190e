#!/usr/bin/env node
// Coverage-guided fuzzing of pxecheck's input paths (docs/fuzzing.md). Not a test: prints, per
// target, executions, time, coverage (istanbul counters reached: seeds → after fuzzing), corpus
// size, crashes, slowest run and heap growth; crashing inputs go to fuzz/.build/crashes/.
//   node bench/fuzz.mjs [--target NAME,…|all] [--runs N] [--seconds S] [--seed N] [--json]
//   node bench/fuzz.mjs --make-seeds        (rewrites fuzz/corpus/ from captures/ and the test kits)
// Every run is bounded: --runs and --seconds per target, and a watchdog thread that kills the
// process when one execution takes longer than --hang seconds (its input saved first).
// Exit status: 0 no crash, 1 a crash or hang, 2 usage.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { loadTargets } from '../fuzz/build.mjs';
import { fuzz } from '../fuzz/engine.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'all' },
    runs: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string', default: '1' },
    hang: { type: 'string', default: '20' },
    'max-len': { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
    'make-seeds': { type: 'boolean', default: false },
  },
});

if (values['make-seeds']) {
  const out = await build({ entryPoints: [join(root, 'fuzz/seeds.ts')], bundle: true, write: false, format: 'esm', platform: 'node', target: 'node20', packages: 'external', logLevel: 'warning' });
  const file = join(root, 'fuzz/.build/seeds.mjs');
  mkdirSync(join(root, 'fuzz/.build'), { recursive: true });
  writeFileSync(file, out.outputFiles[0].text);
  const { makeSeeds } = await import(pathToFileURL(file).href);
  console.log(makeSeeds(root));
  process.exit(0);
}

const num = (k) => {
  const n = Number(values[k]);
  if (!Number.isFinite(n) || n < 0) { console.error(`fuzz: --${k} must be a number`); process.exit(2); }
  return n;
};
const runs = num('runs');
const seconds = num('seconds');
const seed = num('seed');
const hang = num('hang');
/** Largest input (0: the largest seed, at least 4 KiB). */
const maxLenFlag = num('max-len');

const { TARGETS, coverage, buildSeconds } = await loadTargets();
const names = values.target === 'all' ? Object.keys(TARGETS) : values.target.split(',');
for (const n of names) if (!TARGETS[n]) { console.error(`fuzz: no target "${n}" (have: ${Object.keys(TARGETS).join(', ')})`); process.exit(2); }

// Watchdog: the fuzz loop is synchronous, so a timer cannot see a hang; a thread can. It reads
// the run counter and the current input from shared memory.
const MAX_INPUT = 1 << 20;
const shared = new SharedArrayBuffer(16 + MAX_INPUT);
const state = new Int32Array(shared, 0, 4); // [run, length, target index, 0]
const inputCopy = new Uint8Array(shared, 16);
const crashDir = join(root, 'fuzz/.build/crashes');
const watchdog = new Worker(`
  const { workerData } = require('node:worker_threads');
  const { writeFileSync, mkdirSync } = require('node:fs');
  const state = new Int32Array(workerData.shared, 0, 4);
  const input = new Uint8Array(workerData.shared, 16);
  let last = -1, since = Date.now();
  setInterval(() => {
    const run = Atomics.load(state, 0);
    if (run !== last) { last = run; since = Date.now(); return; }
    if (Date.now() - since < workerData.hangMs) return;
    mkdirSync(workerData.dir, { recursive: true });
    const name = workerData.names[state[2]] + '-hang-' + run;
    writeFileSync(workerData.dir + '/' + name, input.slice(0, state[1]));
    process.stderr.write('fuzz: HANG in ' + workerData.names[state[2]] + ' (one run over ' + workerData.hangMs / 1000 + ' s), input saved as fuzz/.build/crashes/' + name + '\\n');
    process.kill(process.pid, 'SIGKILL');
  }, 500);
`, { eval: true, workerData: { shared, hangMs: hang * 1000, dir: crashDir, names } });
watchdog.unref();

function seeds(name) {
  const dir = join(root, 'fuzz/corpus', name);
  let list = [];
  try { list = readdirSync(dir).sort(); } catch { /* no seeds: start from nothing */ }
  return list.map((f) => new Uint8Array(readFileSync(join(dir, f))));
}

const DICT = ['#!ipxe\n', 'chain ', 'kernel ', 'goto ', ':label\n', 'isset ${', '${net0/mac}', 'iseq ', '||', '&&', 'HTTP/1.1 ', '\r\n\r\n', 'Content-Length: ', 'Transfer-Encoding: chunked\r\n', 'Location: ', 'tsize\0', 'blksize\0', 'octet\0', 'PXEClient', 'steps:', 'personas:', '&a ', '*a', '<<: ', '!!binary '].map((s) => new TextEncoder().encode(s));

const results = [];
let failed = false;
for (const [i, name] of names.entries()) {
  coverage.forget();
  const corpus = seeds(name);
  const maxLen = Math.min(MAX_INPUT, maxLenFlag > 0 ? maxLenFlag : Math.max(4096, ...corpus.map((c) => c.length)));
  const r = fuzz(TARGETS[name], coverage, {
    seed, runs, seconds, maxLen, corpus, dict: DICT, slowMs: 2000,
    onInput: (input, run) => {
      inputCopy.set(input.subarray(0, MAX_INPUT));
      state[1] = Math.min(input.length, MAX_INPUT);
      state[2] = i;
      Atomics.store(state, 0, run + 1);
    },
    onProgress: (p) => { if (!values.json) process.stderr.write(`  ${name}: ${p.runs} runs, ${p.edges} edges, corpus ${p.corpus}, crashes ${p.crashes}\n`); },
  });
  for (const c of r.crashes) {
    mkdirSync(crashDir, { recursive: true });
    const file = `${name}-${createHash('sha1').update(c.input).digest('hex').slice(0, 12)}`;
    writeFileSync(join(crashDir, file), c.input);
    c.file = `fuzz/.build/crashes/${file}`;
  }
  if (r.crashes.length > 0) failed = true;
  results.push({ target: name, runs: r.runs, seconds: r.seconds, seedEdges: r.seedEdges, edges: r.edges, counters: r.counters, corpus: r.corpus.length, crashes: r.crashes.map((c) => ({ message: c.message, file: c.file, stack: c.stack.split('\n').slice(0, 6).join('\n') })), slow: r.slow.length, slowestMs: r.slowestMs, heapGrowthMB: r.heapGrowthMB });
}

if (values.json) {
  console.log(JSON.stringify({ node: process.version, seed, buildSeconds, results }, null, 2));
} else {
  console.log(`node ${process.version}, seed ${seed}, instrumented build ${buildSeconds.toFixed(1)} s`);
  console.log('| target | runs | s | runs/s | edges (seeds → end) | corpus | crashes | slowest ms | heap Δ MB |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.target} | ${r.runs} | ${r.seconds.toFixed(1)} | ${Math.round(r.runs / r.seconds)} | ${r.seedEdges} → ${r.edges} | ${r.corpus} | ${r.crashes.length} | ${r.slowestMs.toFixed(1)} | ${r.heapGrowthMB.toFixed(1)} |`);
  }
  for (const r of results) for (const c of r.crashes) console.log(`\nCRASH ${r.target}: ${c.message} (input: ${c.file})\n${c.stack}`);
}
process.exit(failed ? 1 : 0);
