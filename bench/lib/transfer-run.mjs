// pxecheck's side of bench/transfer-vs-curl.mjs, inside the client namespace: one client, a DORA
// (for its address), then one tftp or http step through the scenario runner and the raw transport.
// argv[2]: JSON { dist, iface, server, step: 'tftp'|'http', file, blksize?, windowsize?, mtu?, transport?: 'raw'|'relay',
// relayFrom?, sha256? (the TFTP step checks it: the client hashes the file) }. Prints one JSON line.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const cfg = JSON.parse(process.argv[2]);
// The dist may be given relative to the caller's directory: resolve it, not against this file.
const imp = (p) => import(pathToFileURL(resolve(cfg.dist, p)).href);
// As `pxecheck run` does (src/cli/main.ts, run.ts): the TFTP worker starts first thing, before the
// runner's modules load; the transport's pool adopts it.
if (cfg.step === 'tftp' && cfg.earlyWorker !== false) {
  void imp('scenario/transport/offload/tftp-offload.js').then((m) => m.startTftpWorkerEarly(), () => undefined);
}
const { parseScenario } = await imp('scenario/load.js');
const { runScenario } = await imp('scenario/driver.js');
const { createRawTransport } = await imp('scenario/transport/raw/transport.js');
const { SystemClock } = await imp('scenario/clock.js');

const transfer = cfg.step === 'tftp'
  ? `      - tftp: { file: ${cfg.file}, server: ${cfg.tftpServer ?? cfg.server}, within: 120s${cfg.blksize ? `, blksize: ${cfg.blksize}` : ''}${cfg.windowsize ? `, windowsize: ${cfg.windowsize}` : ''}${cfg.sha256 ? `, expect: { sha256: "${cfg.sha256}" }` : ''} }\n`
  : `      - http: { url: "http://${cfg.server}/${cfg.file}", within: 120s }\n`;
const text = `name: transfer\nbudget: 200s\n${cfg.mtu ? `mtu: ${cfg.mtu}\n` : ''}clients:\n  - name: pc\n    persona: uefi-x64\n    mac: 02:77:00:00:00:01\n    steps:\n      - dhcp: { within: 10s, offer-window: 0s }\n${transfer}`;
const scenario = parseScenario(text, 'transfer.yaml');
// relay: pxecheck relays DHCP from cfg.relayFrom and fetches over kernel sockets from there, as curl does.
const transport = cfg.transport === 'relay'
  ? await (await imp('scenario/transport/relay.js')).createRelayTransport({ relayFrom: cfg.relayFrom, server: cfg.server, prewarmTftp: cfg.step === 'tftp', prewarmTcp: cfg.step === 'http' && cfg.prewarmTcp !== false, ...(cfg.tftpWorkers === undefined ? {} : { tftpWorkers: cfg.tftpWorkers }) })
  : await createRawTransport({ interface: cfg.iface, macs: ['02:77:00:00:00:01'], prewarmTftp: cfg.step === 'tftp', prewarmTcp: cfg.step === 'http' && cfg.prewarmTcp !== false, ...(cfg.mtu ? { mtu: cfg.mtu } : {}), ...(cfg.tftpWorkers === undefined ? {} : { tftpWorkers: cfg.tftpWorkers }) });
// As `pxecheck run` does before a scenario with HTTP steps (src/cli/run.ts): one HTTP step played on
// the loopback transport, so the step's code is compiled before the timed one (absent in older builds).
if (cfg.step === 'http' && cfg.warmSteps !== false) await imp('scenario/run/warm-up.js').then((m) => m.warmHttpSteps(), () => undefined);
// Frames in and out and the biggest frame received (GSO super-segments arrive whole on a veth);
// raw only (relay would synthesize a frame per datagram for it), and only with countFrames: a
// transport that reports frames keeps TFTP on the event loop (as `--pcap` does).
const frames = { sent: 0, received: 0, maxReceived: 0 };
if (cfg.transport !== 'relay' && cfg.countFrames === true) transport.onFrame((dir, _t, _lt, f) => { frames[dir]++; if (dir === 'received' && f.length > frames.maxReceived) frames.maxReceived = f.length; });
// HTTP: how long the connection took (the step's time includes it, as curl's time_total does).
let connectSeconds = null;
const connectTcp = transport.connectTcp.bind(transport);
transport.connectTcp = async (...a) => { const t = performance.now(); try { return await connectTcp(...a); } finally { connectSeconds = (performance.now() - t) / 1000; } };
const cpu0 = process.cpuUsage();
const csw0 = process.resourceUsage();
const res = await runScenario(scenario, { transport, clock: new SystemClock(), target: { server: cfg.server } });
const cpu = process.cpuUsage(cpu0);
const csw1 = process.resourceUsage();
await transport.close();
const [dora, step] = res.clients[0].steps;
const d = step?.details ?? {};
process.stdout.write(JSON.stringify({
  ok: dora.ok && step.ok, error: dora.error ?? step.error, seconds: step.duration / 1000, connectSeconds,
  bytes: d.observed?.size ?? d.bodyBytes ?? d.observed?.bodyBytes ?? null, cpu: (cpu.user + cpu.system) / 1e6,
  // Sleeps (voluntary) and preemptions (involuntary) of all the process's threads, DORA included.
  csw: { voluntary: csw1.voluntaryContextSwitches - csw0.voluntaryContextSwitches, involuntary: csw1.involuntaryContextSwitches - csw0.involuntaryContextSwitches },
  counters: transport.counters, frames, details: Object.fromEntries(Object.entries(d).filter(([k]) => !['log', 'expect'].includes(k))),
}) + '\n');
process.exit(0);
