#!/usr/bin/env node
// Benchmark (not a test): `analyze` over a folder of many small captures — one worker thread
// (--jobs 1) vs every core — against tshark run over the same files one after the other.
// Build first (npx tsc -p tsconfig.json), then: node bench/analyze-fleet.mjs [--files N] [--repeat N] [--format json|text|rows] [--skip-tshark]
// Captures are generated into bench/out/fleet/ (gitignored; SITE/NNN.pcap) and reused while their
// parameters match. Prints a table and ratios; always exits 0.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'out', 'fleet');
const bin = join(root, 'bin', 'pxecheck.js');

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '200' },
    repeat: { type: 'string', default: '1' },
    format: { type: 'string', default: 'json' },
    'skip-tshark': { type: 'boolean', default: false },
  },
});
const nFiles = Math.min(5000, Math.max(1, Number(values.files) || 200));
const repeat = Math.min(5, Math.max(1, Number(values.repeat) || 1));
const SITES = 10;
const log = (s) => process.stdout.write(`${s}\n`);

if (!existsSync(join(root, 'dist', 'cli', 'analyze-pool.js')) || !existsSync(join(root, 'dist', 'gen', 'index.js'))) {
  log('bench: dist/ is missing or old; run `npx tsc -p tsconfig.json` first');
  process.exit(0);
}

// ---- captures: N small site captures (5–24 clients each, small loaders, a few faults) ----

function paramsFor(i) {
  return {
    clients: 5 + ((i * 7) % 20), seed: 1000 + i,
    mix: { fileSize: [8_000, 32_000], http: 0.5 },
    faults: { tftpLoss: 0.05, nak: 0.02, twoServers: 0.02, tftpMissingFile: 0.03, noBootfile: 0.02, ipxeLoop: 0.01 },
  };
}

async function ensureCaptures() {
  const meta = join(outDir, 'params.json');
  const want = JSON.stringify({ n: nFiles, p: paramsFor(0), v: 1 });
  if (existsSync(meta) && readFileSync(meta, 'utf8') === want) return listCaptures();
  rmSync(outDir, { recursive: true, force: true });
  const { generateBootTraffic, writeCapture } = await import('../dist/gen/index.js');
  const t0 = performance.now();
  let frames = 0;
  for (let i = 0; i < nFiles; i++) {
    const site = join(outDir, `site-${String(i % SITES).padStart(2, '0')}`);
    mkdirSync(site, { recursive: true });
    frames += writeCapture(join(site, `${String(i).padStart(4, '0')}.pcap`), { format: 'pcap' }, (emit) => generateBootTraffic(paramsFor(i), emit)).frames;
  }
  writeFileSync(meta, want);
  log(`generated ${nFiles} captures (${frames} frames) into ${outDir.slice(root.length + 1)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return listCaptures();
}

function listCaptures() {
  return readdirSync(outDir).filter((d) => d.startsWith('site-')).sort()
    .flatMap((d) => readdirSync(join(outDir, d)).filter((f) => f.endsWith('.pcap')).sort().map((f) => join(outDir, d, f)));
}

// ---- measuring ----

/** Runs a shell command under /usr/bin/time (children included) with stdout discarded. */
function measure(script) {
  const r = spawnSync('/usr/bin/time', ['-f', 'BENCH %e %M %U %S', 'bash', '-c', script], {
    stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26, timeout: 1_800_000,
  });
  const m = /BENCH ([\d.]+) (\d+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
  if (!m) return { wall: NaN, cpu: NaN, rssMb: NaN, err: (r.stderr ?? '').trim().split('\n').slice(-2).join(' ') };
  return { wall: Number(m[1]), cpu: Number(m[3]) + Number(m[4]), rssMb: Number(m[2]) / 1024 };
}

function best(script) {
  let b = null;
  for (let i = 0; i < repeat; i++) {
    const r = measure(script);
    if (!b || r.wall < b.wall) b = { ...r, cpu: Math.min(r.cpu, b?.cpu ?? Infinity), rssMb: Math.max(r.rssMb, b?.rssMb ?? 0) };
  }
  return b;
}

const q = (s) => `'${s.replace(/'/g, "'\\''")}'`;

// ---- main ----

if (!existsSync('/usr/bin/time')) {
  log('bench: /usr/bin/time is missing (apt-get install time)');
  process.exit(0);
}
const files = await ensureCaptures();
const sites = [...new Set(files.map((f) => dirname(f)))];
const cores = availableParallelism();
const haveTshark = !values['skip-tshark'] && spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
log(`${files.length} captures in ${sites.length} site folders; ${cores} cores; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}; best of ${repeat}`);

const px = `${q(process.execPath)} ${q(bin)} analyze -f ${values.format} ${sites.map(q).join(' ')}`;
const rows = [];
function row(name, script) {
  const r = best(script);
  rows.push({ name, ...r });
  log(`  ${name}: ${Number.isFinite(r.wall) ? `${r.wall.toFixed(2)} s wall, ${r.cpu.toFixed(2)} s cpu, ${r.rssMb.toFixed(0)} MB` : `FAILED (${r.err})`}`);
  return r;
}

const one = row('pxecheck analyze --jobs 1', `${px} --jobs 1 >/dev/null; test $? -le 1`);
const all = row(`pxecheck analyze (all ${cores} cores)`, `${px} >/dev/null; test $? -le 1`);
const ts = haveTshark
  ? row('tshark -q -z expert, file after file', `for f in ${files.map(q).join(' ')}; do tshark -r "$f" -q -z expert >/dev/null || exit 1; done`)
  : null;

const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && a > 0 ? (b / a).toFixed(2) + 'x' : 'n/a');
log('');
log('| command | wall s | cpu s | files/s | peak RSS MB | vs tshark (wall / cpu) |');
log('|---|---|---|---|---|---|');
for (const r of rows) {
  const vs = ts && r !== ts ? `${ratio(r.wall, ts.wall)} / ${ratio(r.cpu, ts.cpu)}` : '';
  log(`| ${r.name} | ${r.wall.toFixed(2)} | ${r.cpu.toFixed(2)} | ${(files.length / r.wall).toFixed(1)} | ${r.rssMb.toFixed(0)} | ${vs} |`);
}
log('');
log(`all cores vs --jobs 1: ${ratio(all.wall, one.wall)} by wall (${cores} cores)`);
