#!/usr/bin/env node
// A boot storm against a real server in a lab (root): N clients (default 5,000) through DORA and
// TFTP (a small file), relayed from 198.18.0.1 and leased from 198.18.0.0/15 inside the lab only.
// Prints pxecheck's text report (percentiles per kind, budgets) and the wall/CPU time of the run.
// Usage: npm run build && sudo node bench/load-storm.mjs [--clients 5000] [--server kea|dnsmasq]
//        [--arrival 1000/s] [--concurrency 300] [--dora-only]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { labDown } = await import(join(ROOT, 'dist/lab/index.js'));
// The same storm lab and server configs as the load-mode lab tests (test/load/storm-lab.ts).
const { STORM_RELAY, dnsmasqStormConfig, keaStormConfig, stormLabUp } = await import(join(ROOT, 'dist/lab/storm.js'));
const { values } = parseArgs({ options: {
  clients: { type: 'string', default: '5000' }, server: { type: 'string', default: 'kea' },
  arrival: { type: 'string', default: '1000/s' }, concurrency: { type: 'string', default: '300' }, 'dora-only': { type: 'boolean', default: false },
} });
if (process.getuid?.() !== 0) {
  console.error('load-storm: needs root (network namespaces)');
  process.exit(2);
}
const NAME = 'flabbench';
const work = mkdtempSync(join(tmpdir(), 'pxecheck-storm-'));
const config = join(work, 'server.conf');
writeFileSync(config, values.server === 'kea' ? keaStormConfig()
  : dnsmasqStormConfig({ leaseFile: join(work, 'leases'), authoritative: true, leaseMax: 1_000_000 }));
const steps = ['      - dhcp: { within: 10s, expect: { type: ack, yiaddr: 198.18.0.0/15 } }'];
if (!values['dora-only']) steps.push('      - tftp: { file: polycom/000000000000.cfg, server: "${server}", within: 10s }');
const scenario = join(work, 'storm.yaml');
writeFileSync(scenario, `name: storm-${values.clients}-${values.server}
budget: 10m
load:
  arrival: ${values.arrival}
  concurrency: ${values.concurrency}
  budgets: { dora: { p99: 2s }, failed: "<1%" }
clients:
  - name: pc
    persona: uefi-x64
    mac: { mac: "02:18:00:00:00:00", count: ${Number(values.clients)} }
    steps:
${steps.join('\n')}
`);
let code = 0;
try {
  const lab = await stormLabUp(NAME, values.server, config);
  const t0 = Date.now();
  const r = spawnSync('ip', ['netns', 'exec', lab.clientNs, '/usr/bin/time', '-f', '%e s wall, %U s user, %S s sys, %M KB peak RSS', process.execPath,
    join(ROOT, 'bin/pxecheck.js'), 'run', scenario, '--relay-from', STORM_RELAY, '--server', lab.serverAddr,
    // A storm is above the default load ceiling on purpose: raised to what this bench asks for.
    '--max-load', `arrival-rate=${values.arrival},concurrency=${values.concurrency},count=none`], { encoding: 'utf8', timeout: 900_000 });
  console.log(r.stdout);
  console.log(`pxecheck run: ${r.stderr.trim().split('\n').pop()} (exit ${r.status}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  code = r.status ?? 1;
} finally {
  await labDown(NAME);
  rmSync(work, { recursive: true, force: true });
}
process.exit(code === 0 || code === 1 ? 0 : code);
