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
const { labUp, labDown, runOk, SERVER_ADDR } = await import(join(ROOT, 'dist/lab/index.js'));
const { values } = parseArgs({ options: {
  clients: { type: 'string', default: '5000' }, server: { type: 'string', default: 'kea' },
  arrival: { type: 'string', default: '1000/s' }, concurrency: { type: 'string', default: '300' }, 'dora-only': { type: 'boolean', default: false },
} });
if (process.getuid?.() !== 0) {
  console.error('load-storm: needs root (network namespaces)');
  process.exit(2);
}
const RELAY = '198.18.0.1';
const NAME = 'flabbench';
const work = mkdtempSync(join(tmpdir(), 'pxecheck-storm-'));
const config = join(work, 'server.conf');
if (values.server === 'kea') {
  writeFileSync(config, JSON.stringify({ Dhcp4: {
    'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'raw' },
    'lease-database': { type: 'memfile', persist: false, 'lfc-interval': 0 },
    'valid-lifetime': 600,
    'client-classes': [{ name: 'efi64', test: 'option[93].hex == 0x0007', 'boot-file-name': 'snponly.efi', 'next-server': SERVER_ADDR }],
    subnet4: [
      { id: 1, subnet: '198.51.100.0/24', pools: [{ pool: '198.51.100.100 - 198.51.100.200' }] },
      { id: 2, subnet: '198.18.0.0/15', pools: [{ pool: '198.18.1.0 - 198.19.255.250' }] },
    ],
    loggers: [{ name: 'kea-dhcp4', output_options: [{ output: 'stdout' }], severity: 'WARN' }],
  } }));
} else {
  writeFileSync(config, ['port=0', 'interface=eth0', 'bind-interfaces', 'no-resolv', 'no-hosts', 'user=root', 'quiet-dhcp', 'no-ping',
    'dhcp-authoritative', `dhcp-leasefile=${join(work, 'leases')}`, 'dhcp-lease-max=1000000', 'dhcp-range=198.51.100.100,198.51.100.200,10m',
    'dhcp-range=198.18.1.0,198.19.255.250,255.254.0.0,10m', `dhcp-boot=snponly.efi,,${SERVER_ADDR}`, ''].join('\n'));
}
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
await labDown(NAME);
let code = 0;
try {
  const lab = await labUp({ name: NAME, server: values.server, config });
  runOk('ip', ['-n', lab.clientNs, 'addr', 'add', `${RELAY}/15`, 'dev', lab.relayIface]);
  runOk('ip', ['-n', lab.serverNs, 'route', 'add', '198.18.0.0/15', 'dev', 'eth0']);
  const t0 = Date.now();
  const r = spawnSync('ip', ['netns', 'exec', lab.clientNs, '/usr/bin/time', '-f', '%e s wall, %U s user, %S s sys, %M KB peak RSS', process.execPath,
    join(ROOT, 'bin/pxecheck.js'), 'run', scenario, '--relay-from', RELAY, '--server', lab.serverAddr,
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
