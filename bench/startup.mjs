#!/usr/bin/env node
// Benchmark (not a test): start-up time of the CLI against `node -e 0` on this machine, same run.
// Build first (npx tsc -p tsconfig.json), then: node bench/startup.mjs [--repeat N]
// Best (minimum) wall time of N runs each; prints a table with the ratio to `node -e 0` and the
// target (a tiny `analyze` within 0.25 s); always exits 0.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'pxecheck.js');
const tiny = join(root, 'captures', 'lab', 'phone-cisco-udhcpc.pcap');
const { values } = parseArgs({ options: { repeat: { type: 'string', default: '10' } } });
const repeat = Math.max(1, Number(values.repeat) || 10);
const TARGET_S = 0.25;

const CASES = [
  ['node -e 0', ['-e', '0']],
  ['pxecheck --version', [bin, '--version']],
  ['pxecheck analyze --help', [bin, 'analyze', '--help']],
  ['pxecheck decode (15 frames)', [bin, 'decode', '--format', 'line', tiny]],
  ['pxecheck analyze (15 frames)', [bin, 'analyze', tiny]],
];

// CPU time (user + sys, from /usr/bin/time) as well as wall time: on a busy machine the wall
// clock measures the neighbours, the CPU time still measures us.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

function best(args) {
  let wall = Infinity;
  let cpu = Infinity;
  for (let i = 0; i < repeat; i++) {
    const t = process.hrtime.bigint();
    const r = TIME
      ? spawnSync(TIME, ['-f', '%U %S', process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
      : spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    wall = Math.min(wall, s);
    const m = TIME ? /([\d.]+) ([\d.]+)\s*$/.exec(r.stderr) : null;
    if (m) cpu = Math.min(cpu, Number(m[1]) + Number(m[2]));
  }
  return { wall, cpu };
}

const rows = CASES.map(([name, args]) => [name, best(args)]);
const base = rows[0][1];
console.log(`best of ${repeat} runs, node ${process.version}, load ${(await import('node:os')).loadavg()[0].toFixed(2)}`);
console.log('| command | wall s | × node -e 0 | CPU s | × node -e 0 |');
console.log('|---|---|---|---|---|');
const cpuCell = (x) => (Number.isFinite(x.cpu) ? `${x.cpu.toFixed(2)} | ${(x.cpu / base.cpu).toFixed(2)}×` : 'n/a | n/a');
for (const [name, x] of rows) console.log(`| ${name} | ${x.wall.toFixed(3)} | ${(x.wall / base.wall).toFixed(2)}× | ${cpuCell(x)} |`);
const analyze = rows.at(-1)[1].wall;
console.log(`\ntiny analyze: ${analyze.toFixed(3)} s (target ${TARGET_S} s): ${analyze <= TARGET_S ? 'met' : 'not met'}`);
