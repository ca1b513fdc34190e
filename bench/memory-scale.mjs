#!/usr/bin/env node
// Benchmark (not a test): peak RSS and time of `analyze` (json, text, junit) on DHCP-client floods of
// 10k, 100k and 1M clients, with `tshark -q -z expert` timed on the same file in the same run, and
// the live path (`capture`'s LiveSession fed in-process) with 1M clients.
// Build first (npx tsc -p tsconfig.json), then: node bench/memory-scale.mjs [--sizes 10000,100000,1000000] [--no-live]
// Captures go to bench/out/ (gitignored). Always exits 0.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'out');
const bin = join(root, 'bin', 'pxecheck.js');
const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10000,100000,1000000' }, 'no-live': { type: 'boolean', default: false } } });
const sizes = values.sizes.split(',').map(Number);
const { dhcpFlood, writeCapture } = await import('../dist/gen/index.js');

function timed(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const [wall, user, sys, rss] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, cpu: user + sys, rssMB: Math.round(rss / 1024) };
}

mkdirSync(outDir, { recursive: true });
const rows = [];
for (const n of sizes) {
  const file = join(outDir, `flood-${n}.pcap`);
  if (!existsSync(file)) writeCapture(file, { format: 'pcap' }, (emit) => dhcpFlood({ clients: n, rate: 200 }, emit));
  const ts = timed('tshark', ['-r', file, '-q', '-z', 'expert']);
  rows.push({ what: `tshark -q -z expert (${n} clients)`, ...ts, ratio: '' });
  for (const format of ['json', 'text', 'junit']) {
    // The bin itself, as users run it (its #! line sets the V8 flags the CLI is tuned with).
    const r = timed(bin, ['analyze', file, '--format', format, '-o', '/dev/null']);
    rows.push({ what: `analyze --format ${format} (${n} clients)`, ...r, ratio: `${(ts.wall / r.wall).toFixed(2)}x / ${(ts.cpu / r.cpu).toFixed(2)}x` });
  }
}
if (!values['no-live']) {
  const script = `
    const { dhcpFlood } = await import(${JSON.stringify(join(root, 'dist/gen/index.js'))});
    const { LiveSession } = await import(${JSON.stringify(join(root, 'dist/cli/capture-session.js'))});
    const live = new LiveSession({ fileName: 'flood' });
    const rec = { frame: 0, time: 0, linkType: 1, interfaceId: 0, data: new Uint8Array(0), origLen: 0 };
    let lastPoll = 0, lastF = 0, maxLive = 0;
    dhcpFlood({ clients: 1000000, rate: 100 }, (time, frame) => {
      rec.frame++; rec.time = time; rec.data = frame; rec.origLen = frame.length; live.push(rec);
      if (time - lastPoll >= 2) { lastPoll = time; live.poll(time); maxLive = Math.max(maxLive, live.liveDevices); }
      if (time - lastF >= 60) { lastF = time; live.findings(time); }
    });
    const end = live.finish(rec.time + 1);
    console.error('live: ' + end.analysis.summary.clients + ' clients, at most ' + maxLive + ' in memory');`;
  const r = timed(process.execPath, ['--input-type=module', '-e', script]);
  rows.push({ what: 'live path (LiveSession), 1M clients', ...r, ratio: '' });
}
console.log('| command | wall s | cpu s | peak RSS MB | vs tshark (wall / cpu) |\n|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.what} | ${r.wall} | ${r.cpu.toFixed(2)} | ${r.rssMB} | ${r.ratio} |`);
