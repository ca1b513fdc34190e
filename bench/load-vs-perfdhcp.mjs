#!/usr/bin/env node
// DORA/s of pxecheck's runner (raw transport) vs ISC perfdhcp against the same Kea (memfile, no
// persistence), same namespaces, same run. Needs root, kea-dhcp4 and perfdhcp (PERFDHCP, default
// /work/shared/tools/perfdhcp; Debian 12 does not package it — see ../shared/tools/README.md).
// Addresses: 198.18.0.0/15 inside namespaces this script creates and deletes.
//   node bench/load-vs-perfdhcp.mjs [--count 2000] [--seconds 5]
// pxecheck's rate is found by stepping its concurrency (clients in flight) up while failures stay
// < 1%; perfdhcp's by stepping its -r rate the same way (drops < 1%).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchNet, destroyBenchNet, PEER, SERVER, sleep, startIn, timedIn } from './lib/netns.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const COUNT = Number(arg('count', 2000));
const SECONDS = Number(arg('seconds', 5));
const PERFDHCP = process.env.PERFDHCP ?? '/work/shared/tools/perfdhcp';
const NAME = 'gbench';

if (process.getuid?.() !== 0) { console.error('load-vs-perfdhcp: needs root (network namespaces, raw sockets)'); process.exit(2); }
const havePerf = existsSync(PERFDHCP);
if (!havePerf) console.error(`load-vs-perfdhcp: perfdhcp not found at ${PERFDHCP} (set PERFDHCP; Debian 12 does not package it): measuring pxecheck alone`);

const work = `/tmp/pxecheck-${NAME}`;
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const net = createBenchNet(NAME);
const conf = join(work, 'kea-dhcp4.conf');
writeFileSync(conf, JSON.stringify({
  Dhcp4: {
    'interfaces-config': { interfaces: ['br0'] },
    'lease-database': { type: 'memfile', persist: false },
    'valid-lifetime': 3600,
    subnet4: [{ id: 1, subnet: '198.18.0.0/15', pools: [{ pool: '198.18.1.0 - 198.19.255.250' }], 'next-server': SERVER, 'boot-file-name': 'ipxe.efi' }],
    loggers: [{ name: 'kea-dhcp4', output_options: [{ output: join(work, 'kea.log') }], severity: 'WARN' }],
  },
}));
const kea = startIn(net.srv, 'kea-dhcp4', ['-c', conf], { ...process.env, KEA_PIDFILE_DIR: work, KEA_LOCKFILE_DIR: work });

let macSeq = 0;
async function pxecheckAt(concurrency) {
  const macBase = `02:${(0x10 + macSeq++).toString(16).padStart(2, '0')}:00:00:00:00`;
  const cfg = { dist: DIST, iface: 'raw0', server: SERVER, count: COUNT, concurrency, macBase, budgetS: 60, pps: 1e6 };
  const r = await timedIn(net.cli, process.execPath, [join(ROOT, 'bench/lib/dora-run.mjs'), JSON.stringify(cfg)], { timeoutMs: 120_000 });
  const line = r.out.trim().split('\n').pop();
  try { return { ...JSON.parse(line), cpuTotal: r.cpu }; } catch { throw new Error(`dora-run failed: ${r.err.slice(-1500)}`); }
}

async function perfdhcpAt(rate) {
  const r = await timedIn(net.cli, PERFDHCP, ['-4', '-l', 'ip0', '-r', String(rate), '-R', '1000000', '-p', String(SECONDS), '-W', '1000000', SERVER], { timeoutMs: (SECONDS + 30) * 1000 });
  // "sent packets: N" / "received packets: N" per exchange (DO then RA); drops % from the RA pair.
  const nums = [...r.out.matchAll(/(sent|received) packets: (\d+)/g)].map((m) => Number(m[2]));
  const [sDO, rDO, sRA, rRA] = nums;
  const drops = sDO ? 1 - (rRA ?? 0) / sDO : 1;
  return { rate, sent: sDO, acks: rRA, drops, dora: (rRA ?? 0) / SECONDS, cpu: r.cpu, wall: r.wall, raw: nums };
}

function fmt(n, d = 0) { return Number.isFinite(n) ? n.toFixed(d) : String(n); }

try {
  await sleep(1500);
  if (kea.child.exitCode !== null) throw new Error(`kea-dhcp4 exited: ${kea.log().slice(-1000)}`);
  const out = { pxecheck: [], perfdhcp: [] };
  // pxecheck: step the concurrency while failures stay under 1%.
  let bestP = null;
  for (const c of [32, 64, 128, 256, 512]) {
    const r = await pxecheckAt(c);
    out.pxecheck.push({ concurrency: c, ...r });
    console.log(`pxecheck  concurrency ${String(c).padStart(4)}: ${fmt(r.rate)} DORA/s, ${r.failed}/${r.count} failed, p50 ${fmt(r.p50, 1)} ms p99 ${fmt(r.p99, 1)} ms, wall ${fmt(r.wall, 2)} s, cpu ${fmt(r.cpuTotal, 2)} s (${fmt(r.cpu, 2)} s after start-up) ${r.failed ? JSON.stringify(r.errors) : ''}`);
    if (r.failed / r.count >= 0.01) break;
    if (!bestP || r.rate > bestP.rate) bestP = r;
    if (bestP && r.rate < bestP.rate * 0.9) break;
  }
  let bestF = null;
  if (havePerf) {
    for (const rate of [250, 500, 1000, 2000, 3000, 4000, 5000, 6000, 8000]) {
      const r = await perfdhcpAt(rate);
      out.perfdhcp.push(r);
      console.log(`perfdhcp  -r ${String(rate).padStart(5)}: ${fmt(r.dora)} DORA/s, drops ${fmt(r.drops * 100, 2)} %, cpu ${fmt(r.cpu, 2)} s in ${fmt(r.wall, 1)} s`);
      if (r.drops >= 0.01) break;
      bestF = r;
    }
  }
  if (bestP) console.log(`pxecheck best at < 1% failures: ${fmt(bestP.rate)} DORA/s (${fmt(bestP.cpuTotal / bestP.ok * 1e6)} µs CPU per DORA, ${fmt(bestP.cpu / bestP.ok * 1e6)} µs without start-up)`);
  if (bestF) console.log(`perfdhcp best at < 1% drops:    ${fmt(bestF.dora)} DORA/s (${fmt(bestF.cpu / bestF.acks * 1e6)} µs CPU per DORA)`);
  if (bestP && bestF) console.log(`ratio pxecheck/perfdhcp: DORA/s ${fmt(bestP.rate / bestF.dora, 2)}, CPU per DORA ${fmt((bestP.cpuTotal / bestP.ok) / (bestF.cpu / bestF.acks), 2)}`);
  writeFileSync(join(work, 'result.json'), JSON.stringify(out, null, 2));
} finally {
  kea.stop();
  await sleep(300);
  destroyBenchNet(NAME);
}
