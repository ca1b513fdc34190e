#!/usr/bin/env node
// Load mode memory: a storm's client state exists only from arrival to its last step, so peak RSS
// should not grow with the number of clients. Plays N clients (default 10,000 then 100,000) of a
// scenario in load mode against a transport that sends nowhere (steps: become + sleep 1ms), each N
// in its own process, and prints peak RSS and the per-client growth between the two.
// Usage: npm run build && node bench/load-memory.mjs [N...]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
const sizes = counts.length > 0 ? counts : [10_000, 100_000];

const child = `
import { parseScenario } from ${JSON.stringify(join(ROOT, 'dist/scenario/load.js'))};
import { runScenarios } from ${JSON.stringify(join(ROOT, 'dist/scenario/driver.js'))};
import { SystemClock } from ${JSON.stringify(join(ROOT, 'dist/scenario/clock.js'))};
const n = Number(process.argv[2]);
const yaml = \`name: mem
budget: 600s
load: { concurrency: 1000 }
clients:
  - persona: uefi-x64
    mac: { mac: "02:00:00:00:00:00", count: \${n} }
    steps: [ { become: ipxe }, { sleep: 1ms } ]
\`;
const nowhere = { kind: 'memory', addClient() {}, setClientAddress() {}, sendUdp() {}, onUdp() {}, async connectTcp() { throw new Error('no TCP'); }, now: () => Date.now() / 1000, async close() {} };
const t0 = process.cpuUsage();
const w0 = performance.now();
const r = await runScenarios([parseScenario(yaml, 'mem.yaml')], { transport: nowhere, clock: new SystemClock(), target: { server: '198.51.100.1' } });
const cpu = process.cpuUsage(t0);
const l = r.scenarios[0].load;
console.log(JSON.stringify({ n, ok: l.clients.ok, wall: (performance.now() - w0) / 1000, cpu: (cpu.user + cpu.system) / 1e6, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
`;

const dir = mkdtempSync(join(tmpdir(), 'pxecheck-loadmem-'));
const script = join(dir, 'child.mjs');
writeFileSync(script, child);
const rows = [];
for (const n of sizes) {
  const r = spawnSync(process.execPath, [script, String(n)], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
  rows.push(JSON.parse(r.stdout.trim().split('\n').pop()));
}
rmSync(dir, { recursive: true, force: true });
console.log('| clients | passed | wall s | CPU s | peak RSS MB |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.n.toLocaleString('en-US')} | ${r.ok.toLocaleString('en-US')} | ${r.wall.toFixed(2)} | ${r.cpu.toFixed(2)} | ${r.maxRssMB.toFixed(0)} |`);
if (rows.length >= 2) {
  const [a, b] = [rows[0], rows[rows.length - 1]];
  console.log(`growth: ${(((b.maxRssMB - a.maxRssMB) * 1024 * 1024) / (b.n - a.n)).toFixed(1)} bytes of peak RSS per extra client`);
}
