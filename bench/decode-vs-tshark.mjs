#!/usr/bin/env node
// Benchmark (not a test): pxecheck decode/analyze vs tshark on the same synthetic captures.
// Build first (npx tsc -p tsconfig.json), then: node bench/decode-vs-tshark.mjs [--repeat N] [--frames F]
// Captures are generated into bench/out/ (gitignored) and reused while their parameters match.
// Prints a table and a verdict; always exits 0.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureCapture } from './lib/generated-capture.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'out');
const bin = join(root, 'bin', 'pxecheck.js');

const { values } = parseArgs({
  options: {
    repeat: { type: 'string', default: '1' },
    frames: { type: 'string', default: '1000000' },
    'skip-tshark-fields': { type: 'boolean', default: false },
  },
});
const repeat = Math.max(1, Number(values.repeat) || 1);

const TARGET_RATIO = 2;
const TARGET_RSS_MB = 200;

// ---- captures ----

const CAPTURES = {
  mixed: {
    file: join(outDir, 'mixed-1m.pcap'),
    // Mixed DHCP + TFTP (+ some HTTP), a little loss/NAK/second-server noise.
    params: {
      clients: 1_000_000, seed: 1, maxFrames: Number(values.frames),
      mix: { fileSize: [64_000, 512_000], http: 0.5 },
      faults: { tftpLoss: 0.05, nak: 0.02, twoServers: 0.02, tftpMissingFile: 0.01 },
    },
  },
  clients10k: {
    file: join(outDir, 'clients-10k.pcap'),
    params: {
      clients: 10_000, seed: 2,
      mix: { fileSize: [8_000, 32_000], http: 0.5 },
      faults: { tftpLoss: 0.02, nak: 0.01, twoServers: 0.01, tftpMissingFile: 0.01, noBootfile: 0.01, ipxeLoop: 0.01, proxyOnly: 0.01 },
    },
  },
};


// ---- measuring one command ----

const haveTime = existsSync('/usr/bin/time');

/** Runs argv with stdout discarded; returns { wall, rssMb, code, err }. */
async function measure(argv) {
  if (haveTime) {
    const r = spawnSync('/usr/bin/time', ['-f', 'BENCH %e %M %U %S', ...argv], {
      stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26, timeout: 1_800_000,
    });
    const m = /BENCH ([\d.]+) (\d+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
    const err = (r.stderr ?? '').replace(/BENCH .*$/s, '').trim();
    const code = r.status ?? -1;
    if (!m) return { wall: NaN, cpu: NaN, rssMb: NaN, code, err: err || String(r.error ?? 'no timing') };
    // GNU time prints "Command exited with non-zero status N" first when the command failed.
    const status = /exited with non-zero status (\d+)/.exec(err);
    return { wall: Number(m[1]), cpu: Number(m[3]) + Number(m[4]), rssMb: Number(m[2]) / 1024, code: status ? Number(status[1]) : 0, err };
  }
  // Fallback: poll VmHWM of the child while it runs.
  return await new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let hwm = 0;
    child.stderr.on('data', (d) => (err += d));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch { /* exited */ }
    }, 20);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ wall: (performance.now() - t0) / 1000, cpu: NaN, rssMb: hwm / 1024, code: code ?? -1, err: err.trim() });
    });
  });
}

/** Exit 1 from analyze means "error findings reported", not a failed run. */
async function best(argv, okCodes) {
  let b = null;
  for (let i = 0; i < repeat; i++) {
    const r = await measure(argv);
    if (!okCodes.includes(r.code)) return { ...r, failed: true };
    if (!b || r.wall < b.wall) b = { ...r, cpu: Math.min(r.cpu, b?.cpu ?? Infinity), rssMb: Math.max(r.rssMb, b?.rssMb ?? 0) };
  }
  return b;
}

// ---- main ----

function log(s) {
  process.stdout.write(`${s}\n`);
}
const rel = (p) => p.slice(root.length + 1);

const haveTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
if (!existsSync(join(root, 'dist', 'cli', 'main.js')) || !existsSync(join(root, 'dist', 'gen', 'index.js'))) {
  log('bench: dist/ is missing; run `npx tsc -p tsconfig.json` first');
  process.exit(0);
}

const mixedFrames = await ensureCapture(CAPTURES.mixed, log);
const tenKFrames = await ensureCapture(CAPTURES.clients10k, log);
const mixed = CAPTURES.mixed.file;
const tenK = CAPTURES.clients10k.file;

const rows = [];
async function row(name, file, frames, argv, group, okCodes = [0]) {
  const r = await best(argv, okCodes);
  const ok = !r.failed && Number.isFinite(r.wall);
  rows.push({ name, file: rel(file), frames, group, ok, wall: r.wall, cpu: r.cpu, pps: ok ? frames / r.wall : NaN, rssMb: r.rssMb, err: ok ? '' : errSummary(r.err) });
  const last = rows[rows.length - 1];
  log(`  ${name}: ${ok ? `${last.wall.toFixed(2)} s (cpu ${last.cpu.toFixed(2)} s), ${fmtPps(last.pps)} pkt/s, ${last.rssMb.toFixed(0)} MB` : `FAILED (${last.err})`}`);
}

log(`bench: ${rel(mixed)} (${mixedFrames} frames), ${rel(tenK)} (${tenKFrames} frames); best of ${repeat}`);
await row('pxecheck decode --format none', mixed, mixedFrames, ['node', bin, 'decode', mixed, '--format', 'none'], 'decode');
await row('pxecheck decode --format jsonl', mixed, mixedFrames, ['node', bin, 'decode', mixed, '--format', 'jsonl'], 'decode');
if (haveTshark) {
  await row('tshark -q -z expert', mixed, mixedFrames, ['tshark', '-r', mixed, '-q', '-z', 'expert'], 'decode');
  if (!values['skip-tshark-fields']) {
    await row('tshark -T fields -e frame.number', mixed, mixedFrames, ['tshark', '-r', mixed, '-T', 'fields', '-e', 'frame.number'], 'decode');
  }
}

let analyzeNote = '';
const probe = spawnSync('node', [bin, 'analyze', '--help'], { encoding: 'utf8' });
const analyzeBuilt = existsSync(join(root, 'dist', 'cli', 'analyze.js')) || (probe.status === 0 && /analyze/.test(probe.stdout + probe.stderr));
if (analyzeBuilt) {
  await row('pxecheck analyze --format json', tenK, tenKFrames, ['node', bin, 'analyze', tenK, '--format', 'json'], 'analyze', [0, 1]);
  if (haveTshark) await row('tshark -q -z expert (10k clients)', tenK, tenKFrames, ['tshark', '-r', tenK, '-q', '-z', 'expert'], 'analyze');
} else analyzeNote = 'analyze row skipped: `pxecheck analyze` is not built yet';

// ---- table and verdict ----

/** The first line that names an error, else the last line. */
function errSummary(err) {
  const lines = err.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines.find((l) => /error/i.test(l) && !/^at /.test(l)) ?? lines[lines.length - 1] ?? 'failed').slice(0, 200);
}

function fmtPps(p) {
  return Number.isFinite(p) ? Math.round(p).toLocaleString('en-US') : '-';
}
const ref = (group) => rows.find((r) => r.group === group && r.name.startsWith('tshark -q') && r.ok);
const header = ['command', 'capture', 'frames', 'wall s', 'cpu s', 'packets/s', 'peak RSS MB', 'vs tshark (wall)', 'vs tshark (cpu)'];
const body = rows.map((r) => {
  const t = ref(r.group);
  const vs = r.ok && t && !r.name.startsWith('tshark');
  const ratio = vs ? `${(r.pps / t.pps).toFixed(2)}x` : '';
  const cpuRatio = vs && r.cpu > 0 && t.cpu > 0 ? `${(t.cpu / r.cpu).toFixed(2)}x` : '';
  return [r.name, r.file, String(r.frames), r.ok ? r.wall.toFixed(2) : 'FAILED', r.ok && Number.isFinite(r.cpu) ? r.cpu.toFixed(2) : '-',
    fmtPps(r.pps), r.ok ? r.rssMb.toFixed(0) : '-', ratio, cpuRatio];
});
const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
log('');
log(line(header));
log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const b of body) log(line(b));
for (const r of rows) if (!r.ok) log(`  ${r.name} failed: ${r.err}`);
if (analyzeNote) log(`note: ${analyzeNote}`);

const dec = rows.find((r) => r.name === 'pxecheck decode --format none');
const ts = ref('decode');
if (!dec?.ok) log('verdict: UNKNOWN: pxecheck decode did not run');
else if (!ts) log('verdict: UNKNOWN: tshark did not run');
else {
  const ratio = dec.pps / ts.pps;
  const pass = ratio >= TARGET_RATIO && dec.rssMb <= TARGET_RSS_MB;
  log(`verdict: ${pass ? 'PASS' : 'MISS'}: decode ${fmtPps(dec.pps)} pkt/s = ${ratio.toFixed(2)}x tshark ` +
    `(target >= ${TARGET_RATIO}x), peak RSS ${dec.rssMb.toFixed(0)} MB (target <= ${TARGET_RSS_MB} MB)`);
  // On a shared machine wall time is noisy; CPU time (user + sys) is the steadier comparison.
  if (dec.cpu > 0 && ts.cpu > 0) log(`         by CPU time: ${(ts.cpu / dec.cpu).toFixed(2)}x tshark (${dec.cpu.toFixed(2)} s vs ${ts.cpu.toFixed(2)} s)`);
}
process.exit(0);
