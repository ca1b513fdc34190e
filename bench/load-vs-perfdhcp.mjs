#!/usr/bin/env node
// DORA/s of pxecheck's runner (load mode) vs ISC perfdhcp against the same Kea (memfile, no
// persistence), same namespaces, same run. Needs root, kea-dhcp4 and perfdhcp (PERFDHCP, default
// /work/shared/tools/perfdhcp; Debian 12 does not package it — see ../shared/tools/README.md).
// Addresses: 198.18.0.0/15 inside namespaces this script creates and deletes.
//   node bench/load-vs-perfdhcp.mjs [--transport relay|raw] [--seconds 5] [--rates 500,1000,…] [--engine lean|general]
// --engine: load mode's lean DORA engine (default; what a DHCPv4-only chain gets) or the general step runner.
// Transports (default: both): `relay` is the apples-to-apples one — pxecheck relays from an
// address of its own on ip0 (198.18.0.3, kernel UDP, giaddr set), as perfdhcp does from ip0's;
// `raw` sends each client's broadcast frames through libpcap on raw0.
// Every tool steps the same arrival rates (pxecheck `load: arrival: R/s`, perfdhcp -r R) for
// --seconds each, while failures (pxecheck: no ACK within 1 s, perfdhcp's drop time) stay < 1%.
// Kea restarts before every run, so a run never meets a pool the previous one filled.
// DORA/s, the same measure for both: completed DORAs ÷ the arrival window. perfdhcp: ACKs ÷ --seconds
// (its -p: it stops sending then; its own printed rate is shown beside). pxecheck: DORAs ACKed within
// 1 s ÷ the longer of count / rate (= --seconds) and the observed arrival span, so a run that fell
// behind its arrivals is not flattered; its old figure (÷ the whole run's wall, the drain included) is in
// result.json as rateWall.
// DORA_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' passes flags to pxecheck's node (profiling);
// DORA_OUT=PREFIX keeps its whole output per run (PREFIX-relay-4000.txt: with '--trace-gc', the GC pauses).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchNet, destroyBenchNet, PEER, SERVER, sleep, startIn, timedIn } from './lib/netns.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
// --dist DIR: another build's dist (main's, to compare in the same run).
const DIST = resolve(arg('dist', join(ROOT, 'dist')));
const SECONDS = Number(arg('seconds', 5));
const TRANSPORTS = arg('transport', 'relay,raw').split(',');
const RATES = arg('rates', '500,1000,2000,3000,4000,5000,6000,8000').split(',').map(Number);
const CONCURRENCY = Number(arg('concurrency', 4096));
const ENGINE = arg('engine', 'lean');
// --trace: pxecheck's send pattern (sends per ms, back-to-back runs, sends before each loss); --trace-dir D also keeps the raw traces.
const traceDirArg = arg('trace-dir', null);
const TRACE_DIR = traceDirArg === null ? null : resolve(traceDirArg);
if (TRACE_DIR !== null) mkdirSync(TRACE_DIR, { recursive: true });
const TRACE = process.argv.includes('--trace') || TRACE_DIR !== null;
const RELAY_FROM = '198.18.0.3';
for (const t of TRANSPORTS) if (t !== 'relay' && t !== 'raw') { console.error(`load-vs-perfdhcp: --transport relay|raw, got ${t}`); process.exit(2); }
const PERFDHCP = process.env.PERFDHCP ?? '/work/shared/tools/perfdhcp';
const NAME = 'gbench';

if (process.getuid?.() !== 0) { console.error('load-vs-perfdhcp: needs root (network namespaces, raw sockets)'); process.exit(2); }
const havePerf = existsSync(PERFDHCP);
if (!havePerf) console.error(`load-vs-perfdhcp: perfdhcp not found at ${PERFDHCP} (set PERFDHCP; Debian 12 does not package it): measuring pxecheck alone`);

const work = `/tmp/pxecheck-${NAME}`;
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const net = createBenchNet(NAME);
net.inCli('ip', 'addr', 'add', `${RELAY_FROM}/15`, 'dev', 'ip0');
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
let kea = null;
async function freshKea() {
  if (kea !== null) { kea.stop(); await sleep(300); }
  kea = startIn(net.srv, 'kea-dhcp4', ['-c', conf], { ...process.env, KEA_PIDFILE_DIR: work, KEA_LOCKFILE_DIR: work });
  await sleep(1200);
  if (kea.child.exitCode !== null) throw new Error(`kea-dhcp4 exited: ${kea.log().slice(-1000)}`);
}

/** UDP receive-buffer overflows in a namespace (/proc/net/snmp Udp RcvbufErrors): where replies or requests were lost. */
function rcvbufErrors(nsRun) {
  const lines = nsRun('cat', '/proc/net/snmp').stdout.split('\n').filter((l) => l.startsWith('Udp:'));
  const [head, vals] = lines.map((l) => l.trim().split(/\s+/));
  return Number(vals?.[head?.indexOf('RcvbufErrors') ?? -1] ?? NaN);
}

/** Frames the server's packet sockets dropped (`ss -0 -m`, skmem d): Kea reads direct and relayed DHCP through one (LPF). */
function packetDrops(nsRun) {
  return [...nsRun('ss', '-0', '-m').stdout.matchAll(/skmem:\([^)]*\bd(\d+)\)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

/** Kea's CPU seconds so far (user+sys; `ip netns exec` execs it, so the child's pid is Kea's): Kea's cost per DORA for each tool's traffic. */
function keaCpu() {
  try { const f = readFileSync(`/proc/${kea.child.pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; } catch { return NaN; }
}

let macSeq = 0;
async function pxecheckAt(transport, rate) {
  await freshKea();
  const macBase = `02:${(0x10 + macSeq++).toString(16).padStart(2, '0')}:00:00:00:00`;
  const cfg = {
    dist: DIST, transport, iface: 'raw0', relayFrom: RELAY_FROM, server: SERVER, count: Math.round(rate * SECONDS), rate,
    concurrency: CONCURRENCY, macBase, budgetS: SECONDS * 4 + 10, withinS: 1, pps: 1e6, engine: ENGINE, trace: TRACE_DIR !== null ? join(TRACE_DIR, `${transport}-${rate}.trace`) : TRACE,
  };
  const before = { srv: rcvbufErrors(net.inSrv), cli: rcvbufErrors(net.inCli) };
  const r = await timedIn(net.cli, process.execPath, [...(process.env.DORA_NODE_ARGS ?? '').split(' ').filter(Boolean), join(ROOT, 'bench/lib/dora-run.mjs'), JSON.stringify(cfg)], { timeoutMs: (SECONDS * 4 + 40) * 1000 });
  const line = r.out.trim().split('\n').pop();
  if (process.env.DORA_OUT) writeFileSync(`${process.env.DORA_OUT}-${transport}-${rate}.txt`, r.out);
  const lost = { srv: rcvbufErrors(net.inSrv) - before.srv, cli: rcvbufErrors(net.inCli) - before.cli };
  const keaPacketDrops = packetDrops(net.inSrv); // Kea started fresh for this run
  try { return { ...JSON.parse(line), cpuTotal: r.cpu, cpuUser: r.user, cpuSys: r.sys, rcvbufErrors: lost, keaPacketDrops, keaCpu: keaCpu() }; } catch { throw new Error(`dora-run failed: ${r.err.slice(-1500)}`); }
}

async function perfdhcpAt(rate) {
  await freshKea();
  const r = await timedIn(net.cli, PERFDHCP, ['-4', '-l', 'ip0', '-r', String(rate), '-R', '1000000', '-p', String(SECONDS), '-W', '1000000', SERVER], { timeoutMs: (SECONDS + 30) * 1000 });
  // "sent packets: N" / "received packets: N" per exchange (DO then RA); drops % from the RA pair.
  const nums = [...r.out.matchAll(/(sent|received) packets: (\d+)/g)].map((m) => Number(m[2]));
  const [sDO, rDO, sRA, rRA] = nums;
  const drops = sDO ? 1 - (rRA ?? 0) / sDO : 1;
  // perfdhcp's own figure ("Rate: N 4-way exchanges/second"), for reference: not what the ratio uses.
  const own = Number(/Rate: ([\d.]+) 4-way exchanges\/second/.exec(r.out)?.[1] ?? NaN);
  return { rate, sent: sDO, acks: rRA, drops, dora: (rRA ?? 0) / SECONDS, own, cpu: r.cpu, cpuUser: r.user, cpuSys: r.sys, wall: r.wall, raw: nums, keaPacketDrops: packetDrops(net.inSrv), keaCpu: keaCpu() };
}

function fmt(n, d = 0) { return Number.isFinite(n) ? n.toFixed(d) : String(n); }

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`load average at start: ${load()} (a shared host: ratios are from the same run)`);
try {
  const out = { pxecheck: {}, perfdhcp: [] };
  const best = {};
  for (const transport of TRANSPORTS) {
    out.pxecheck[transport] = [];
    let bestP = null;
    for (const rate of RATES) {
      const r = await pxecheckAt(transport, rate);
      out.pxecheck[transport].push({ asked: rate, ...r });
      console.log(`pxecheck ${transport.padEnd(5)} ${String(rate).padStart(5)}/s: ${fmt(r.rate)} DORA/s (arrivals over ${fmt(r.window, 2)} s), ${r.failed}/${r.count} failed, p50 ${fmt(r.p50, 1)} ms p99 ${fmt(r.p99, 1)} ms, peak ${r.peakInFlight} in flight, event-loop lag p99/max ${fmt(r.loopLagMs?.p99, 0)}/${fmt(r.loopLagMs?.max, 0)} ms, UDP rcvbuf overflows server/client ${r.rcvbufErrors.srv}/${r.rcvbufErrors.cli}, Kea packet-socket drops ${r.keaPacketDrops}, Kea cpu ${fmt(r.keaCpu / Math.max(1, r.ok) * 1e6)} µs/DORA, wall ${fmt(r.wall, 2)} s, cpu ${fmt(r.cpuTotal, 2)} s (${fmt(r.cpu, 2)} s after start-up; per DORA user/sys ${fmt(r.cpuUser / Math.max(1, r.ok) * 1e6)}/${fmt(r.cpuSys / Math.max(1, r.ok) * 1e6)} µs) ${r.failed ? JSON.stringify(r.errors) : ''}`);
      if (r.trace) console.log(`  trace: ${JSON.stringify(r.trace)}`);
      if (r.failed / Math.max(1, r.count) >= 0.01) break;
      if (!bestP || r.rate > bestP.rate) bestP = { ...r, asked: rate };
      if (r.rate < rate * 0.8) break; // the runner no longer keeps up with the arrivals
    }
    best[transport] = bestP;
  }
  let bestF = null;
  if (havePerf) {
    for (const rate of RATES) {
      const r = await perfdhcpAt(rate);
      out.perfdhcp.push(r);
      console.log(`perfdhcp       ${String(rate).padStart(5)}/s: ${fmt(r.dora)} DORA/s (its own: ${fmt(r.own)}), drops ${fmt(r.drops * 100, 2)} % (Kea packet-socket drops ${r.keaPacketDrops}, Kea cpu ${fmt(r.keaCpu / Math.max(1, r.acks) * 1e6)} µs/DORA), cpu ${fmt(r.cpu, 2)} s in ${fmt(r.wall, 1)} s (per DORA user/sys ${fmt(r.cpuUser / Math.max(1, r.acks) * 1e6)}/${fmt(r.cpuSys / Math.max(1, r.acks) * 1e6)} µs)`);
      if (r.drops >= 0.01) break;
      bestF = r;
    }
  }
  for (const [t, b] of Object.entries(best)) {
    if (b) console.log(`pxecheck ${t} best at < 1% failures: ${fmt(b.rate)} DORA/s at ${b.asked}/s asked (${fmt(b.cpuTotal / b.ok * 1e6)} µs CPU per DORA, ${fmt(b.cpu / b.ok * 1e6)} µs without start-up)`);
  }
  if (bestF) console.log(`perfdhcp best at < 1% drops: ${fmt(bestF.dora)} DORA/s (${fmt(bestF.cpu / bestF.acks * 1e6)} µs CPU per DORA)`);
  for (const [t, b] of Object.entries(best)) {
    if (b && bestF) console.log(`ratio pxecheck ${t}/perfdhcp: DORA/s ${fmt(b.rate / bestF.dora, 2)} (asked rates ${fmt(b.asked / bestF.rate, 2)}), CPU per DORA ${fmt((b.cpuTotal / b.ok) / (bestF.cpu / bestF.acks), 2)}`);
  }
  console.log(`load average at end: ${load()}`);
  writeFileSync(join(work, 'result.json'), JSON.stringify(out, null, 2));
} finally {
  kea?.stop();
  await sleep(300);
  destroyBenchNet(NAME);
}
