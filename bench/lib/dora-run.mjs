// pxecheck's side of bench/load-vs-perfdhcp.mjs, run inside the client namespace: N uefi-x64
// clients, one DORA each (first offer taken, as perfdhcp does), through the scenario runner and
// the raw transport at a given concurrency. Prints one JSON line.
// argv[2]: JSON { dist, iface, server, count, concurrency, macBase, budgetS }
const cfg = JSON.parse(process.argv[2]);
const imp = (p) => import(`${cfg.dist}/${p}`);
const { parseScenario } = await imp('scenario/load.js');
const { runScenario } = await imp('scenario/driver.js');
const { createRawTransport } = await imp('scenario/transport/raw/transport.js');
const { SystemClock } = await imp('scenario/clock.js');

const ranges = [];
for (let left = cfg.count, i = 0; left > 0; i++) {
  const n = Math.min(left, 4096);
  const base = BigInt(`0x${cfg.macBase.replace(/:/g, '')}`) + BigInt(i * 4096);
  const mac = base.toString(16).padStart(12, '0').match(/../g).join(':');
  ranges.push(`  - name: pc${i}\n    persona: uefi-x64\n    mac: { mac: "${mac}", count: ${n} }\n    steps:\n      - dhcp: { within: ${cfg.budgetS}s, offer-window: 0s, expect: { type: ack } }\n`);
  left -= n;
}
const scenario = parseScenario(`name: bench\nbudget: ${cfg.budgetS}s\nclients:\n${ranges.join('')}`, 'bench.yaml');
const transport = await createRawTransport({ interface: cfg.iface, ...(cfg.pps ? { rateLimitPps: cfg.pps } : {}) });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const res = await runScenario(scenario, { transport, clock: new SystemClock(), target: { server: cfg.server }, concurrency: cfg.concurrency });
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await transport.close();
const steps = res.clients.map((c) => c.steps[0]);
const ok = steps.filter((s) => s.ok).length;
const lat = steps.filter((s) => s.ok).map((s) => s.duration).sort((a, b) => a - b);
const q = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : null;
const errors = {};
for (const s of steps) if (!s.ok) errors[s.error ?? 'failed'] = (errors[s.error ?? 'failed'] ?? 0) + 1;
process.stdout.write(JSON.stringify({
  count: steps.length, ok, failed: steps.length - ok, wall, cpu: (cpu.user + cpu.system) / 1e6,
  rate: ok / wall, p50: q(0.5), p99: q(0.99), errors: Object.fromEntries(Object.entries(errors).slice(0, 3)),
  counters: transport.counters, dropped: transport.dropped,
}) + '\n');
process.exit(0);
