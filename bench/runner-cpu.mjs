#!/usr/bin/env node
// CPU of pxecheck's load runner per DORA without sockets: N uefi-x64 clients in load mode over an
// in-process transport that answers each DISCOVER with an OFFER and each REQUEST with an ACK on
// the next turn (replies built with the project's codec). No root, no namespaces, no peer: it
// isolates the runner's own cost (client machine, steps, expectations, timers, statistics) from
// the kernel's, which bench/load-vs-perfdhcp.mjs measures together with perfdhcp's.
//   node bench/runner-cpu.mjs [--counts 1250,5000,20000] [--concurrency 256] [--engines lean,general]
// `lean` is load mode's DORA engine for DHCPv4-only chains (src/scenario/load/lean-dora.ts),
// `general` the step runner every other chain uses (loadHooks.engine). The in-process "server"
// parses each request and builds its reply with the codec: its CPU is in the figures too.
// Prints µs of CPU per DORA per count, and the marginal cost between the two largest counts (a
// short run is dominated by fixed costs: JIT warm-up, heap growth, the report).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const COUNTS = arg('counts', '1250,5000,20000').split(',').map(Number);
const CONCURRENCY = Number(arg('concurrency', 256));
const ENGINES = arg('engines', 'lean,general').split(',');

const { parseScenario } = await import(`${DIST}/scenario/load.js`);
const { runScenario } = await import(`${DIST}/scenario/driver.js`);
const { SystemClock } = await import(`${DIST}/scenario/clock.js`);
const { buildDhcpV4, emitDhcpV4, DhcpV4MessageType, msgType, parseDhcpV4 } = await import(`${DIST}/wire/dhcpv4/index.js`);
await import(`${DIST}/scenario/load/runner.js`);

const SERVER = { addr: '198.18.0.1', port: 67 };
const RELAY = { addr: '198.18.0.3', port: 67 };
const ip = (s) => Uint8Array.from(s.split('.').map(Number));

function reply(type, xid, chaddr) {
  return emitDhcpV4(buildDhcpV4({
    op: 2, xid, chaddr, yiaddr: '198.18.1.5', siaddr: SERVER.addr, file: 'ipxe.efi',
    options: [{ code: 53, data: Uint8Array.of(type) }, { code: 54, data: ip(SERVER.addr) }, { code: 51, data: Uint8Array.of(0, 0, 14, 16) },
      { code: 1, data: ip('255.254.0.0') }, { code: 3, data: ip(SERVER.addr) }],
  }));
}

/** A transport whose "server" answers at once (setImmediate): only the runner's CPU is measured. */
function answeringTransport() {
  const handlers = [];
  return {
    kind: 'relay', addClient() {}, removeClient() {}, setClientAddress() {}, onUdp(h) { handlers.push(h); return () => { const i = handlers.indexOf(h); if (i >= 0) handlers.splice(i, 1); }; },
    connectTcp: () => Promise.reject(new Error('no TCP here')), now: () => Date.now() / 1000, close: async () => {},
    sendUdp(mac, d) {
      const req = parseDhcpV4(d.payload, []);
      const type = msgType(req) === DhcpV4MessageType.DISCOVER ? DhcpV4MessageType.OFFER : DhcpV4MessageType.ACK;
      const payload = reply(type, req.xid, mac);
      setImmediate(() => { for (const h of handlers) h(mac, { src: SERVER, dst: RELAY, payload }, Date.now() / 1000); });
    },
  };
}

async function measure(n, base, engine) {
  const scenario = parseScenario(['name: runner-cpu', 'budget: 600s', `load: { concurrency: ${CONCURRENCY}, count: ${n} }`, 'clients:',
    '  - name: pc', '    persona: uefi-x64', `    mac: { mac: "${base}", count: ${n} }`, '    steps:',
    '      - dhcp: { within: 1s, offer-window: 0s, expect: { type: ack } }', ''].join('\n'), 'runner-cpu.yaml');
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const res = await runScenario(scenario, { transport: answeringTransport(), clock: new SystemClock(), target: { server: SERVER.addr }, loadHooks: { engine } });
  const c = process.cpuUsage(c0);
  return { n, ok: res.load.kinds.dora?.ok ?? 0, cpuUs: c.user + c.system, wall: (performance.now() - t0) / 1000 };
}

// Each count in a fresh process would include start-up; here each is measured in turn, cold first.
let seq = 0;
for (const engine of ENGINES) {
  const rows = [];
  for (const n of COUNTS) {
    const r = await measure(n, `02:${(0x40 + seq++).toString(16)}:00:00:00:00`, engine);
    rows.push(r);
    console.log(`${engine.padEnd(7)} ${String(n).padStart(7)} DORAs: ${(r.cpuUs / n).toFixed(0)} µs CPU per DORA, ${(n / r.wall).toFixed(0)} DORA/s, ${n - r.ok} not ok`);
  }
  if (rows.length >= 2) {
    const [a, b] = rows.slice(-2);
    console.log(`${engine.padEnd(7)} marginal (${a.n} → ${b.n}): ${((b.cpuUs - a.cpuUs) / (b.n - a.n)).toFixed(0)} µs CPU per DORA`);
  }
}
