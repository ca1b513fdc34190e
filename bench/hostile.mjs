#!/usr/bin/env node
// Hostile captures at full size (issue 15): generates each (scripts/gen-hostile.mjs, the real
// encoders) into bench/out/, then times `pxecheck analyze --format json` and, as the reference,
// `tshark -q -z expert` on the same file, each under /usr/bin/time (wall s, user+sys s, peak RSS).
// Not a test: prints a table and always exits 0. Build first: npx tsc -p tsconfig.json
//   node bench/hostile.mjs [--only KIND] [--no-tshark] [--tshark-max-mb N]
// tshark runs only on files up to N MB (default 80): on 100,000 open TCP streams it takes tens of
// minutes on a shared machine.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { only: { type: 'string' }, 'no-tshark': { type: 'boolean' }, 'tshark-max-mb': { type: 'string', default: '80' } } });
const CASES = [
  ['tcp-gaps', 100_000, '100,000 TCP streams with gaps, never closed'],
  ['frag4', 200_000, '200,000 IPv4 first fragments, never completed'],
  ['frag6', 200_000, '200,000 IPv6 first fragments, never completed'],
  ['chunked', 200_000, 'chunked HTTP body of 280 MB, never ended'],
  ['tftp-rollover', 200_000, 'TFTP of 200,000 blocks (rolls over 3 times)'],
  ['dhcp-concat', 30_000, '20 OFFERs of 30,000 option instances each'],
  ['overload', 100_000, '100,000 OFFERs with option 52 overload'],
  ['same-finding', 1_000_000, '1,000,000 identical unanswered RRQs'],
];
mkdirSync('bench/out', { recursive: true });

function timed(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [wall, user, sys, kb] = last.split(' ').map(Number);
  return { wall, cpu: user + sys, mib: kb / 1024, code: r.status };
}

const rows = [['case', 'frames', 'pxecheck wall/cpu/RSS', 'tshark wall/cpu/RSS', 'cpu ratio', 'exit']];
for (const [kind, n, what] of CASES) {
  if (values.only && values.only !== kind) continue;
  const file = `bench/out/hostile-${kind}-${n}.pcap`;
  let frames = '?';
  if (!existsSync(file)) {
    const g = spawnSync(process.execPath, ['scripts/gen-hostile.mjs', kind, String(n), file], { encoding: 'utf8' });
    if (g.status !== 0) { process.stderr.write(g.stderr); continue; }
    frames = g.stdout.trim();
  }
  const p = timed(process.execPath, ['bin/pxecheck.js', 'analyze', file, '--format', 'json']);
  const small = statSync(file).size <= Number(values['tshark-max-mb']) * 1e6;
  const t = values['no-tshark'] || !small ? null : timed('tshark', ['-r', file, '-q', '-z', 'expert']);
  const fmt = (r) => (r ? `${r.wall.toFixed(1)} s / ${r.cpu.toFixed(1)} s / ${r.mib.toFixed(0)} MiB` : '-');
  rows.push([`${kind}: ${what}`, frames, fmt(p), fmt(t), t ? (p.cpu / t.cpu).toFixed(2) : '-', String(p.code)]);
  process.stdout.write(`${rows.at(-1).join(' | ')}\n`);
}
process.stdout.write('\n' + rows.map((r) => r.join(' | ')).join('\n') + '\n');
