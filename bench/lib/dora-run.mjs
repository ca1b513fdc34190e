// pxecheck's side of bench/load-vs-perfdhcp.mjs, run inside the client namespace: uefi-x64
// clients, one DORA each (first offer taken, as perfdhcp does), through the scenario runner in
// load mode, over the raw transport (L2 broadcast frames on `iface`) or the relay transport
// (kernel UDP from `relayFrom`:67, giaddr set: what perfdhcp does). Prints one JSON line.
// argv[2]: JSON { dist, transport: 'raw'|'relay', iface, relayFrom, server, count, rate, concurrency, macBase, budgetS, withinS, pps, engine }
// engine: 'lean' (default: load mode's DORA engine for DHCPv4-only chains) or 'general' (the step runner).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const cfg = JSON.parse(process.argv[2]);
// The dist may be given relative to the caller's directory: resolve it, not against this file.
const imp = (p) => import(pathToFileURL(resolve(cfg.dist, p)).href);
const { parseScenario } = await imp('scenario/load.js');
const { runScenario } = await imp('scenario/driver.js');
const { SystemClock } = await imp('scenario/clock.js');
await imp('scenario/load/runner.js'); // runScenario imports it on first use: start-up, not the run

// `within` plays perfdhcp's drop time (-d, 1 s): a DORA slower than that counts as failed.
const scenario = parseScenario([
  'name: bench', `budget: ${cfg.budgetS}s`,
  `load: { arrival: ${cfg.rate}/s, concurrency: ${cfg.concurrency}, count: ${cfg.count} }`,
  'clients:', '  - name: pc', '    persona: uefi-x64', `    mac: { mac: "${cfg.macBase}", count: ${cfg.count} }`,
  '    steps:', `      - dhcp: { within: ${cfg.withinS ?? 1}s, offer-window: 0s, expect: { type: ack } }`, '',
].join('\n'), 'bench.yaml');
const pps = cfg.pps ? { rateLimitPps: cfg.pps } : {};
let transport;
if (cfg.transport === 'relay') {
  const { createRelayTransport } = await imp('scenario/transport/relay.js');
  transport = await createRelayTransport({ relayFrom: cfg.relayFrom, server: cfg.server, ...pps });
} else {
  const { createRawTransport } = await imp('scenario/transport/raw/transport.js');
  transport = await createRawTransport({ interface: cfg.iface, ...pps });
}
const trace = cfg.trace ? (await import('./send-trace.mjs')).traceTransport(transport) : null;
const { monitorEventLoopDelay } = await import('node:perf_hooks');
const lag = monitorEventLoopDelay({ resolution: 5 });
lag.enable();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
// When the last client had arrived (seen at the first progress call after it, ≤ 20 ms late): the
// arrival span, which a lagging process stretches beyond the nominal count / rate.
let arrivalsDoneAt = null;
const progress = (p) => { if (arrivalsDoneAt === null && p.started >= p.planned) arrivalsDoneAt = performance.now(); };
const res = await runScenario(scenario, { transport, clock: new SystemClock(), target: { server: cfg.server }, loadHooks: { engine: cfg.engine ?? 'lean', progress, progressEverySeconds: 0.02 } });
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await transport.close();
if (trace && typeof cfg.trace === 'string') (await import('node:fs')).writeFileSync(cfg.trace, trace.lines());
const d = res.load.kinds.dora ?? { ok: 0, failed: 0, timedOut: 0, latencyMs: null };
const errors = Object.fromEntries(res.load.failures.slice(0, 3).map((f) => [f.message, f.count]));
const count = res.load.clients.started;
// DORA/s as perfdhcp's is read (ACKs ÷ its -p seconds): completed DORAs ÷ the arrival window, the
// nominal count / rate or the observed arrival span when the process fell behind it. Not ÷ the
// whole run's wall (`rateWall`): that includes the drain after the last arrival (up to `within`).
const nominal = cfg.count / cfg.rate;
const window = Math.max(nominal, arrivalsDoneAt === null ? 0 : (arrivalsDoneAt - t0) / 1000);
process.stdout.write(JSON.stringify({
  count, notStarted: res.load.clients.notStarted, ok: d.ok, failed: count - d.ok, wall, cpu: (cpu.user + cpu.system) / 1e6,
  rate: d.ok / window, window, rateWall: d.ok / wall, arrivals: res.load.clients.arrivalsPerSecond, peakInFlight: res.load.clients.peakInFlight,
  p50: d.latencyMs?.p50 ?? null, p99: d.latencyMs?.p99 ?? null, errors, counters: transport.counters, dropped: transport.dropped,
  loopLagMs: { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 }, ...(trace ? { trace: trace.summary() } : {}),
}) + '\n');
process.exit(0);
